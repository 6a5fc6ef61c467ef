"""The terms a policy file may use: W3C DPV 2.0 concepts, fideslang keys, countries.

Promise ids are not here: each policy file declares its own catalogue (``Policy.promises``).
Each vocabulary lists only terms that exist in its source, so an export to another tool
never carries an invented name:

- DPV 2.0 purposes and data subjects: ``https://w3id.org/dpv/2.0`` (``dpv:``), from the
  W3C DPV repository's ``2.0/dpv/modules/purposes.csv`` and ``entities_datasubject.csv``;
- DPV 2.0 personal-data categories: ``https://w3id.org/dpv/2.0/pd`` (``pd:``), from
  ``2.0/pd/modules/core.csv`` and ``extended.csv``, plus the generic ``dpv:`` data concepts;
- fideslang 3.x default taxonomy: data categories and data uses (a unit test compares these
  with the installed ``fideslang`` package).
"""

from __future__ import annotations

__all__ = [
    "ADEQUACY_COUNTRIES",
    "DPV_DATA_SUBJECTS",
    "DPV_MARKETING_PURPOSES",
    "DPV_NON_CONTRACT_PARTIES",
    "DPV_PERSONAL_DATA",
    "DPV_PURPOSES",
    "EEA_COUNTRIES",
    "FIDES_DATA_CATEGORIES",
    "FIDES_DATA_USES",
]

DPV_PURPOSES = frozenset(
    "dpv:" + term
    for term in """
    AcademicResearch AccountManagement Advertising AgeVerification CombatClimateChange
    CommercialPurpose CommercialResearch CommunicationForCustomerCare CommunicationManagement
    CounterMoneyLaundering Counterterrorism CreditChecking CustomerCare
    CustomerClaimsManagement CustomerManagement CustomerOrderManagement
    CustomerRelationshipManagement CustomerSolvencyMonitoring DataAltruism DeliveryOfGoods
    DirectMarketing DisputeManagement EnforceAccessControl EnforceSecurity
    EstablishContractualAgreement FraudPreventionAndDetection FulfilmentOfContractualObligation
    FulfilmentOfObligation HumanResourceManagement IdentityAuthentication IdentityVerification
    ImproveExistingProductsAndServices ImproveHealthcare ImproveInternalCRMProcesses
    ImprovePublicServices ImproveTransportMobility IncreaseServiceRobustness
    InternalResourceOptimisation LegalCompliance MaintainCreditCheckingDatabase
    MaintainCreditRatingDatabase MaintainFraudDatabase Marketing MemberPartnerManagement
    MisusePreventionAndDetection NonCommercialPurpose NonCommercialResearch
    OptimisationForConsumer OptimisationForController OptimiseUserInterface
    OrganisationComplianceManagement OrganisationGovernance OrganisationRiskManagement
    PaymentManagement Personalisation PersonalisedAdvertising PersonalisedBenefits
    PersonnelHiring PersonnelManagement PersonnelPayment ProtectionOfIPR
    ProtectionOfNationalSecurity ProtectionOfPublicSecurity ProvideEventRecommendations
    ProvideOfficialStatistics ProvidePersonalisedRecommendations ProvideProductRecommendations
    PublicBenefit PublicPolicyMaking PublicRelations RecordManagement RepairImpairments
    RequestedServiceProvision ResearchAndDevelopment RightsFulfillment ScientificResearch
    SearchFunctionalities SellDataToThirdParties SellInsightsFromData SellProducts
    SellProductsToDataSubject ServiceOptimisation ServicePersonalisation ServiceProvision
    ServiceRegistration ServiceUsageAnalytics SocialMediaMarketing TargetedAdvertising
    TechnicalServiceProvision UserInterfacePersonalisation VendorManagement VendorPayment
    VendorRecordsManagement VendorSelectionAssessment Verification
    """.split()
)

# purposes that are direct marketing: an objection to them is absolute (art. 21(2)-(3))
DPV_MARKETING_PURPOSES = frozenset(
    "dpv:" + term
    for term in """
    Advertising DirectMarketing Marketing PersonalisedAdvertising SocialMediaMarketing
    TargetedAdvertising
    """.split()
)

DPV_DATA_SUBJECTS = frozenset(
    "dpv:" + term
    for term in """
    Adult Applicant AsylumSeeker Child Citizen Client Consumer Customer DataSubject
    ElderlyDataSubject Employee GuardianOfDataSubject Immigrant JobApplicant Member
    MentallyVulnerableDataSubject NonCitizen ParentOfDataSubject Participant Patient Student
    Subscriber Tourist User Visitor VulnerableDataSubject
    """.split()
)

# people who hold no contract with the controller: a website visitor, or someone using a
# service a customer contracted for (a mailbox or PBX user of a business customer), so
# art. 6(1)(b) cannot be their basis (EDPB guidelines 2/2019; LEGAL L88)
DPV_NON_CONTRACT_PARTIES = frozenset({"dpv:Visitor", "dpv:User"})

DPV_PERSONAL_DATA = frozenset(
    [
        *(
            "dpv:" + term
            for term in """
            PersonalData CollectedPersonalData DerivedPersonalData GeneratedPersonalData
            IdentifyingPersonalData InferredPersonalData ObservedPersonalData
            ProvidedPersonalData SpecialCategoryPersonalData
            """.split()
        ),
        *(
            "pd:" + term
            for term in """
            External Financial Historical Household Internal Profile Social Tracking
            Accent AccountIdentifier Acquantaince Age AgeExact AgeRange ApartmentOwned
            Association Attitude Authenticating AuthenticationHistory BankAccount Behavioral
            Biometric BirthDate BirthPlace BloodType BrowserFingerprint BrowserHistory
            BrowsingBehavior BrowsingReferral CallLog CarOwned Character Citizenship City
            Communication CommunicationsMetadata Connection Contact Country CountryOfBirth
            Credit CreditCapacity CreditCardNumber CreditRecord CreditScore CreditStanding
            CreditWorthiness Criminal CriminalCharge CriminalConviction CriminalOffense
            CriminalPardon CurrentEmployment DNACode Demeanor Demographic DeviceApplications
            DeviceBased DeviceOperatingSystem DeviceSoftware Dialect DigitalFingerprint
            Disability DisciplinaryAction Dislike Divorce Domicile DrugTestResult Education
            EducationExperience EducationQualification EmailAddress EmailAddressPersonal
            EmailAddressWork EmailContent EmploymentHistory EthnicOrigin Ethnicity FacialPrint
            Family FamilyHealthHistory FamilyStructure Favorite FavoriteColor FavoriteFood
            FavoriteMusic Fetish FinancialAccount FinancialAccountNumber FinancialStatus
            Fingerprint Friend GPSCoordinate Gender GeneralReputation Genetic Geographic
            GroupMembership GroupProfile HairColor Health HealthHistory HealthRecord Height
            HouseNumber HouseOwned IPAddress Identifier Identifying Income IncomeBracket
            IndividualHealthHistory IndividualProfile Insurance Intention Interaction Interest
            Job KnowledgeBelief Language LifeHistory Like LinkClicked LoanRecord Locality
            Location MACAddress MaritalStatus Marriage MedicalHealth MentalHealth Name
            Nationality OfficialID Offspring Opinion Ownership PINCode Parent Passport Password
            PastEmployment PaymentCard PaymentCardExpiry PaymentCardNumber PerformanceAtWork
            PersonalDocuments PersonalPossession Personality PhilosophicalBelief
            PhysicalAddress PhysicalCharacteristic PhysicalHealth PhysicalTrait Picture Piercing
            PlaceOfBirth PoliticalAffiliation PoliticalOpinion PostalCode Preference
            Prescription PrivacyPreference Proclivity Professional ProfessionalCertification
            ProfessionalEvaluation ProfessionalInterview PublicLife
            PubliclyAvailableSocialMedia Purchase PurchasesAndSpendingHabit Race Reference
            Region Relationship Reliability Religion ReligiousBelief Residency Retina
            RoomNumber Salary Sale School SecretText ServiceConsumptionBehavior Sexual
            SexualHistory SexualPreference Sibling SkinTone SocialMedia
            SocialMediaCommunication SocialNetwork SocialStatus Street TVViewingBehavior Tattoo
            Tax TelephoneNumber Thought TradeUnionMembership Transaction Transactional
            TravelHistory UID UserAgent Username VehicalLicenseNumber
            VehicalLicenseRegistration Vehicle VehicleLicense VehicleUsage
            VoiceCommunicationRecording VoiceMail Weight WorkEnvironment WorkHistory
            """.split()
        ),
    ]
)

# fideslang 3.x default taxonomy, data categories
FIDES_DATA_CATEGORIES = frozenset(
    """
    system system.authentication system.operations user user.account user.account.settings
    user.account.username user.authorization user.authorization.biometric
    user.authorization.credentials user.authorization.password user.behavior
    user.behavior.browsing_history user.behavior.media_consumption
    user.behavior.purchase_history user.behavior.search_history user.biometric
    user.biometric.fingerprint user.biometric.health user.biometric.retinal
    user.biometric.voice user.childrens user.contact user.contact.address
    user.contact.address.city user.contact.address.country user.contact.address.postal_code
    user.contact.address.state user.contact.address.street user.contact.email
    user.contact.fax_number user.contact.organization user.contact.phone_number
    user.contact.url user.content user.content.private user.content.public
    user.content.self_image user.criminal_history user.demographic user.demographic.age_range
    user.demographic.date_of_birth user.demographic.gender user.demographic.language
    user.demographic.marital_status user.demographic.political_opinion
    user.demographic.profile user.demographic.race_ethnicity user.demographic.religious_belief
    user.demographic.sexual_orientation user.device user.device.cookie user.device.cookie_id
    user.device.device_id user.device.ip_address user.financial user.financial.bank_account
    user.financial.credit_card user.government_id user.government_id.birth_certificate
    user.government_id.drivers_license_number user.government_id.immigration
    user.government_id.national_identification_number user.government_id.passport_number
    user.government_id.vehicle_registration user.health_and_medical
    user.health_and_medical.genetic user.health_and_medical.insurance_beneficiary_id
    user.health_and_medical.record_id user.job_title user.location user.location.imprecise
    user.location.precise user.name user.name.first user.name.last user.payment
    user.privacy_preferences user.sensor user.social user.telemetry user.unique_id
    user.unique_id.pseudonymous user.user_sensor user.workplace
    """.split()
)

# fideslang 3.x default taxonomy, data uses
FIDES_DATA_USES = frozenset(
    """
    analytics analytics.reporting analytics.reporting.ad_performance
    analytics.reporting.campaign_insights analytics.reporting.content_performance
    analytics.reporting.system analytics.reporting.system.performance collect employment
    employment.recruitment essential essential.fraud_detection essential.legal_obligation
    essential.service essential.service.authentication essential.service.notifications
    essential.service.notifications.email essential.service.notifications.sms
    essential.service.operations essential.service.operations.improve
    essential.service.operations.support essential.service.payment_processing
    essential.service.security essential.service.upgrades finance functional
    functional.service functional.service.improve functional.storage
    functional.storage.privacy_preferences marketing marketing.advertising
    marketing.advertising.first_party marketing.advertising.first_party.contextual
    marketing.advertising.first_party.targeted marketing.advertising.frequency_capping
    marketing.advertising.negative_targeting marketing.advertising.profiling
    marketing.advertising.serving marketing.advertising.third_party
    marketing.advertising.third_party.targeted marketing.communications
    marketing.communications.email marketing.communications.sms operations personalize
    personalize.content personalize.content.limited personalize.content.profiled
    personalize.content.profiling personalize.profiling personalize.system sales
    third_party_sharing third_party_sharing.legal_obligation train_ai_system
    """.split()
)

# The EEA: the 27 EU member states and Iceland, Liechtenstein, Norway (ISO 3166-1 alpha-2).
# Sending data here is no transfer in the sense of GDPR chapter V.
EEA_COUNTRIES = frozenset(
    """
    AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
    IS LI NO
    """.split()
)

# Countries with a general art. 45 adequacy decision (Switzerland: 2000/518/EC). The United
# States is left out on purpose: its decision ((EU) 2023/1795) covers only organisations
# certified under the Data Privacy Framework, so a US transfer names safeguard 'dpf' for a
# certified importer (upheld in T-553/23 Latombe, 2025), with SCCs as its fallback, or
# standard contractual clauses (art. 46(2)(c)) alone.
ADEQUACY_COUNTRIES = frozenset(
    """
    AD AR CA CH FO GB GG IL IM JE JP KR NZ UY
    """.split()
)

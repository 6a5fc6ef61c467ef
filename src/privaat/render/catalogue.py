"""The words of the public privacy text, in Dutch (u-vorm, AVG terms) and English.

Every phrase is free of plurals (counts go through ``period_in_words``), so one table per
language is the whole catalogue. Placeholders in braces are filled with ``str.format``.
The shared vocabulary (legal bases, purposes, recipients, safeguards) comes from
``privaat.policy.wording`` and ``dpv_words``, so that this text and the art. 30 register
agree word for word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from privaat.policy.schema import DataSource, WithdrawalChannel
from privaat.policy.wording import RetentionPhrases

__all__ = ["PHRASES", "Phrases", "RightPhrase"]


@dataclass(frozen=True, slots=True)
class RightPhrase:
    """One data-subject right: its name, its article, and how to use it."""

    name: str
    article: str
    how: str


@dataclass(frozen=True, slots=True)
class Phrases:
    """Every phrase of the public text in one language."""

    title: str
    last_updated: str
    version: str
    effective: str
    skip_link: str
    contents: str
    language_switch: str
    intro: tuple[str, ...]
    # the processing activities
    activities_heading: str
    purposes: str
    legal_basis: str
    legitimate_interest: str
    data_categories: str
    data_subjects: str
    sources: str
    source_words: Mapping[DataSource, str]
    retention: str
    retention_phrases: RetentionPhrases
    legal_hold: str
    minimise: str
    recipients: str
    no_recipients: str
    recipient_policy: str
    transfers: str
    withdraw: str
    withdraw_channels: str
    channel_words: Mapping[WithdrawalChannel, str]
    withdraw_effect: str
    objection: str
    objection_absolute: str
    objection_balancing: str
    automated_decision: str
    automated_decision_text: str
    # the sections every policy has
    cookies_heading: str
    cookies_intro: str
    cookies_necessary: str
    cookies_consent: str
    cookies_settings: str
    cookies_none: str
    children_heading: str
    children: tuple[str, ...]
    transfers_heading: str
    transfers_intro: str
    transfers_none: str
    transfers_item: str
    rights_heading: str
    rights_intro: str
    rights: tuple[RightPhrase, ...]
    rights_terms: tuple[str, ...]
    complaint_heading: str
    complaint: tuple[str, ...]
    changes_heading: str
    changes: tuple[str, ...]
    contact_heading: str
    contact_controller: str
    contact_email: str
    contact_website: str
    contact_chamber_of_commerce: str
    contact_privacy: str


_NL = Phrases(
    title="Privacyverklaring van {controller}",
    last_updated="Laatst bijgewerkt",
    version="Versie {version}",
    effective="Deze versie geldt vanaf {date}.",
    skip_link="Naar de inhoud",
    contents="Inhoud",
    language_switch="Taal",
    intro=(
        "{controller} ({address}) is verantwoordelijk voor de verwerking van uw "
        "persoonsgegevens zoals beschreven in deze privacyverklaring. In de woorden van de "
        "Algemene verordening gegevensbescherming (AVG) zijn wij de verwerkingsverantwoordelijke.",
        "Hieronder leest u per verwerking welke persoonsgegevens wij verwerken, waarvoor, op "
        "welke grondslag, hoe lang wij ze bewaren en met wie wij ze delen. Persoonsgegevens zijn "
        "alle gegevens over een geïdentificeerde of identificeerbare natuurlijke persoon "
        "(art. 4 AVG).",
        "Hebt u een vraag over privacy? Neem contact op met {contact} via {email}.",
    ),
    activities_heading="Welke persoonsgegevens wij verwerken en waarom",
    purposes="Doelen",
    legal_basis="Grondslag",
    legitimate_interest="Ons gerechtvaardigd belang",
    data_categories="Persoonsgegevens",
    data_subjects="Betrokkenen",
    sources="Herkomst",
    source_words=MappingProxyType(
        {
            DataSource.DATA_SUBJECT: "door u verstrekt",
            DataSource.OBSERVED: "vastgelegd wanneer u onze diensten gebruikt",
            DataSource.DERIVED: "door ons afgeleid",
            DataSource.THIRD_PARTY: "van derden ontvangen",
        }
    ),
    retention="Bewaartermijn",
    retention_phrases=RetentionPhrases(
        collection="{period} na verzameling",
        account_closure="zolang uw account actief is en daarna nog {period}",
        event="{period} na {event}",
        consent_withdrawal="tot u uw toestemming intrekt en daarna nog {period}",
        account_closure_only="zolang uw account actief is",
        consent_withdrawal_only="tot u uw toestemming intrekt",
    ),
    legal_hold="{categories} bewaren wij {period}: {ground}.",
    minimise="Na {period}: {method} ({categories}).",
    recipients="Ontvangers",
    no_recipients="geen; alleen onze eigen medewerkers verwerken deze gegevens",
    recipient_policy="Privacybeleid: {url}",
    transfers="Doorgifte",
    withdraw="Toestemming intrekken",
    withdraw_channels="U kunt uw toestemming op elk moment intrekken {channels}.",
    channel_words=MappingProxyType(
        {
            WithdrawalChannel.ACCOUNT_PREFERENCES: "in de voorkeuren van uw account",
            WithdrawalChannel.UNSUBSCRIBE_LINK: "met de afmeldlink onderaan elke e-mail",
            WithdrawalChannel.COOKIE_SETTINGS: (
                "via de link ‘Cookie-instellingen’ onderaan elke pagina van onze website"
            ),
            WithdrawalChannel.SUPPORT_ACCESS_PAGE: (
                "op de pagina ‘Toegang voor support’ in het privacycentrum"
            ),
            WithdrawalChannel.PRIVACY_EMAIL: "met een e-mail aan {email}",
        }
    ),
    withdraw_effect=(
        "Intrekken is net zo eenvoudig als toestemming geven. Het doet niets af aan de "
        "verwerking vóór de intrekking (art. 7 lid 3 AVG)."
    ),
    objection="Bezwaar maken",
    objection_absolute=(
        "Maakt u bezwaar tegen direct marketing, dan stoppen wij daar altijd mee "
        "(art. 21 lid 3 AVG)."
    ),
    objection_balancing=(
        "Wij stoppen dan, tenzij wij dwingende gerechtvaardigde gronden hebben die zwaarder "
        "wegen dan uw belangen (art. 21 lid 1 AVG)."
    ),
    automated_decision="Geautomatiseerde beoordeling",
    automated_decision_text=(
        "Wij gebruiken hierbij een geautomatiseerde beoordeling, maar nemen geen besluit met "
        "rechtsgevolgen of een vergelijkbaar aanzienlijk gevolg voor u zonder menselijke "
        "beoordeling. U kunt uw standpunt geven en het besluit aanvechten (art. 22 lid 3 AVG)."
    ),
    cookies_heading="Cookies en vergelijkbare technieken",
    cookies_intro=(
        "Zonder uw toestemming plaatsen wij alleen cookies die strikt noodzakelijk zijn om onze "
        "websites en diensten te laten werken. Alle andere cookies en vergelijkbare technieken, "
        "zoals analysecookies, pixels en knoppen van sociale netwerken, laden wij pas nadat u "
        "daarvoor toestemming hebt gegeven (art. 11.7a Telecommunicatiewet). Weigeren heeft "
        "geen gevolgen voor het gebruik van onze diensten."
    ),
    cookies_necessary="Strikt noodzakelijk (altijd actief)",
    cookies_consent="Alleen met uw toestemming",
    cookies_settings=(
        "Uw keuze wijzigt of trekt u in via de link ‘Cookie-instellingen’ onderaan elke pagina "
        "van onze website; trekt u uw toestemming in, dan verwijderen wij de betreffende "
        "cookies. Strikt noodzakelijke cookies kunt u niet uitschakelen."
    ),
    cookies_none="Wij gebruiken geen cookies of vergelijkbare technieken.",
    children_heading="Kinderen",
    children=(
        "Onze websites, apps en diensten zijn niet bedoeld voor personen jonger dan 16 jaar. "
        "Bent u jonger dan 16, geef ons dan geen persoonsgegevens (art. 8 AVG, art. 5 UAVG).",
        "Ontdekken wij dat wij persoonsgegevens hebben van iemand jonger dan 16 jaar, dan "
        "verwijderen wij die zo snel mogelijk. Wij vragen daarvoor geen kopie van een "
        "identiteitsbewijs.",
    ),
    transfers_heading="Doorgifte buiten de Europese Economische Ruimte",
    transfers_intro=(
        "Wij verwerken uw persoonsgegevens binnen de Europese Economische Ruimte (EER). Gaan "
        "gegevens naar een ontvanger buiten de EER, dan alleen naar een land waarvoor de "
        "Europese Commissie een adequaatheidsbesluit heeft genomen, zoals Zwitserland, of met "
        "passende waarborgen (art. 44–49 AVG). Een kopie van die waarborgen kunt u opvragen via "
        "{email}."
    ),
    transfers_none="Wij geven geen persoonsgegevens door naar landen buiten de EER.",
    transfers_item="{transfer}; voor: {activities}",
    rights_heading="Uw rechten",
    rights_intro=(
        "U hebt de volgende rechten. U oefent ze uit in het privacycentrum van uw account of "
        "met een e-mail aan {email}; een vast formulier is niet nodig."
    ),
    rights=(
        RightPhrase(
            "Inzage",
            "art. 15 AVG",
            "u kunt opvragen welke persoonsgegevens wij van u verwerken en waarvoor, en een "
            "kopie ontvangen. In het privacycentrum bekijkt en downloadt u ze direct.",
        ),
        RightPhrase(
            "Rectificatie",
            "art. 16 AVG",
            "onjuiste of onvolledige gegevens laat u verbeteren of aanvullen; de meeste wijzigt "
            "u zelf in uw account.",
        ),
        RightPhrase(
            "Wissen",
            "art. 17 AVG",
            "u kunt ons vragen uw gegevens te wissen, of uw account verwijderen in het "
            "privacycentrum. Wat wij wettelijk moeten bewaren, zoals facturen, wissen wij zodra "
            "die bewaarplicht afloopt.",
        ),
        RightPhrase(
            "Gegevensoverdraagbaarheid",
            "art. 20 AVG",
            "de gegevens die u ons hebt gegeven of die wij bij uw gebruik hebben vastgelegd, "
            "ontvangt u in een gangbaar, machineleesbaar formaat (JSON of CSV).",
        ),
        RightPhrase(
            "Beperking van de verwerking",
            "art. 18 AVG",
            "u kunt ons vragen uw gegevens tijdelijk alleen nog te bewaren, bijvoorbeeld zolang "
            "wij een bezwaar of de juistheid van uw gegevens onderzoeken. Voordat de beperking "
            "eindigt, laten wij het u weten.",
        ),
        RightPhrase(
            "Bezwaar",
            "art. 21 AVG",
            "tegen verwerking op grond van ons gerechtvaardigd belang kunt u bezwaar maken; "
            "tegen direct marketing altijd. Per verwerking staat hierboven hoe.",
        ),
        RightPhrase(
            "Toestemming intrekken",
            "art. 7 lid 3 AVG",
            "toestemming die u hebt gegeven, trekt u op elk moment in, net zo eenvoudig als u "
            "haar gaf. Per verwerking staat hierboven hoe.",
        ),
    ),
    rights_terms=(
        "Het uitoefenen van uw rechten is kosteloos (art. 12 lid 5 AVG). Wij reageren binnen "
        "één maand na ontvangst van uw verzoek. Is een verzoek ingewikkeld of ontvangen wij er "
        "veel, dan kunnen wij die termijn met twee maanden verlengen; dat laten wij u dan binnen "
        "de eerste maand weten, met de reden (art. 12 lid 3 AVG).",
        "Wij vragen geen kopie van uw identiteitsbewijs. Bent u ingelogd, of bevestigt u uw "
        "verzoek vanaf het e-mailadres van uw account, dan is dat genoeg.",
        "Wijzen wij een verzoek af, dan leggen wij uit waarom en kunt u een klacht indienen bij "
        "de toezichthouder of naar de rechter stappen (art. 12 lid 4 AVG).",
    ),
    complaint_heading="Klacht indienen",
    complaint=(
        "Bent u niet tevreden over hoe wij met uw persoonsgegevens omgaan? Laat het ons weten "
        "via {email}.",
        "U hebt ook het recht een klacht in te dienen bij de toezichthouder, de {authority} "
        "({website}). Dat kan via {complaint_url} (art. 77 AVG).",
    ),
    changes_heading="Wijzigingen in deze privacyverklaring",
    changes=(
        "Wij passen deze privacyverklaring aan wanneer wij nieuwe producten of apps toevoegen, "
        "onze diensten veranderen, of wanneer technologie of wetgeving verandert. Bovenaan "
        "ziet u wanneer zij het laatst is bijgewerkt.",
        "Materiële wijzigingen kondigen wij vooraf aan, per e-mail of met een melding op onze "
        "website, voordat zij ingaan. Waar de wet dat vereist, vragen wij u opnieuw om "
        "toestemming; een eerder gegeven toestemming geldt nooit voor een nieuw doel.",
    ),
    contact_heading="Contact",
    contact_controller="Verwerkingsverantwoordelijke: {controller}, {address}.",
    contact_email="E-mail: {email}",
    contact_website="Website: {website}",
    contact_chamber_of_commerce="KvK-nummer: {number}",
    contact_privacy="Vragen en verzoeken over privacy: {contact}, {email}",
)

_EN = Phrases(
    title="Privacy policy of {controller}",
    last_updated="Last updated",
    version="Version {version}",
    effective="This version applies from {date}.",
    skip_link="Skip to content",
    contents="Contents",
    language_switch="Language",
    intro=(
        "{controller} ({address}) is responsible for the processing of your personal data as "
        "described in this privacy policy: in the words of the General Data Protection "
        "Regulation (GDPR), we are the controller.",
        "Below you can read, for each processing activity, what personal data we process, what "
        "for, on what legal basis, how long we keep it and with whom we share it. Personal data "
        "is any information about an identified or identifiable natural person (GDPR art. 4).",
        "Do you have a question about privacy? Contact {contact} at {email}.",
    ),
    activities_heading="What personal data we process and why",
    purposes="Purposes",
    legal_basis="Legal basis",
    legitimate_interest="Our legitimate interest",
    data_categories="Personal data",
    data_subjects="Data subjects",
    sources="Source",
    source_words=MappingProxyType(
        {
            DataSource.DATA_SUBJECT: "provided by you",
            DataSource.OBSERVED: "recorded when you use our services",
            DataSource.DERIVED: "derived by us",
            DataSource.THIRD_PARTY: "received from third parties",
        }
    ),
    retention="Retention",
    retention_phrases=RetentionPhrases(
        collection="{period} after collection",
        account_closure="as long as your account is active, and {period} after it is closed",
        event="{period} after {event}",
        consent_withdrawal="until you withdraw your consent, and {period} after that",
        account_closure_only="as long as your account is active",
        consent_withdrawal_only="until you withdraw your consent",
    ),
    legal_hold="We keep {categories} for {period}: {ground}.",
    minimise="After {period}: {method} ({categories}).",
    recipients="Recipients",
    no_recipients="none; only our own staff process this data",
    recipient_policy="Privacy policy: {url}",
    transfers="Transfers",
    withdraw="Withdrawing consent",
    withdraw_channels="You can withdraw your consent at any time {channels}.",
    channel_words=MappingProxyType(
        {
            WithdrawalChannel.ACCOUNT_PREFERENCES: "in your account's preferences",
            WithdrawalChannel.UNSUBSCRIBE_LINK: "with the unsubscribe link at the bottom of "
            "every e-mail",
            WithdrawalChannel.COOKIE_SETTINGS: (
                "with the ‘Cookie settings’ link at the bottom of every page of our website"
            ),
            WithdrawalChannel.SUPPORT_ACCESS_PAGE: (
                "on the ‘Support access’ page of the privacy centre"
            ),
            WithdrawalChannel.PRIVACY_EMAIL: "by e-mail to {email}",
        }
    ),
    withdraw_effect=(
        "Withdrawing is as easy as giving consent. It does not affect the processing before "
        "the withdrawal (GDPR art. 7(3))."
    ),
    objection="Objecting",
    objection_absolute=("If you object to direct marketing, we always stop (GDPR art. 21(3))."),
    objection_balancing=(
        "We then stop, unless we have compelling legitimate grounds that override your "
        "interests (GDPR art. 21(1))."
    ),
    automated_decision="Automated assessment",
    automated_decision_text=(
        "We use an automated assessment here, but we never take a decision with legal or "
        "similarly significant effects for you without human review. You can give your point "
        "of view and contest the decision (GDPR art. 22(3))."
    ),
    cookies_heading="Cookies and similar technologies",
    cookies_intro=(
        "Without your consent we only set cookies that are strictly necessary for our websites "
        "and services to work. All other cookies and similar technologies, such as analytics "
        "cookies, pixels and social network buttons, load only after you have consented "
        "(Dutch Telecommunications Act art. 11.7a). Refusing has no effect on your use of our "
        "services."
    ),
    cookies_necessary="Strictly necessary (always on)",
    cookies_consent="Only with your consent",
    cookies_settings=(
        "You change or withdraw your choice with the ‘Cookie settings’ link at the bottom of "
        "every page of our website; when you withdraw consent, we delete the cookies "
        "concerned. Strictly necessary cookies cannot be switched off."
    ),
    cookies_none="We use no cookies or similar technologies.",
    children_heading="Children",
    children=(
        "Our websites, apps and services are not meant for persons under 16. If you are under "
        "16, please do not give us any personal data (GDPR art. 8; Dutch GDPR Implementation "
        "Act art. 5).",
        "If we find that we hold personal data of someone under 16, we delete it as soon as "
        "possible. We do not ask for a copy of an identity document to do so.",
    ),
    transfers_heading="Transfers outside the European Economic Area",
    transfers_intro=(
        "We process your personal data within the European Economic Area (EEA). Data goes to a "
        "recipient outside the EEA only in a country for which the European Commission has "
        "adopted an adequacy decision, such as Switzerland, or with appropriate safeguards "
        "(GDPR art. 44-49). You can ask for a copy of those safeguards at {email}."
    ),
    transfers_none="We do not transfer personal data to countries outside the EEA.",
    transfers_item="{transfer}; for: {activities}",
    rights_heading="Your rights",
    rights_intro=(
        "You have the following rights. You exercise them in the privacy centre of your account "
        "or by e-mail to {email}; no particular form is needed."
    ),
    rights=(
        RightPhrase(
            "Access",
            "GDPR art. 15",
            "you can ask which personal data we process about you and what for, and receive a "
            "copy. In the privacy centre you can view and download it straight away.",
        ),
        RightPhrase(
            "Rectification",
            "GDPR art. 16",
            "you can have incorrect or incomplete data corrected or completed; most of it you "
            "can change yourself in your account.",
        ),
        RightPhrase(
            "Erasure",
            "GDPR art. 17",
            "you can ask us to erase your data, or delete your account in the privacy centre. "
            "What the law requires us to keep, such as invoices, we erase as soon as that "
            "obligation ends.",
        ),
        RightPhrase(
            "Data portability",
            "GDPR art. 20",
            "you receive the data you gave us, or that we recorded when you used our services, "
            "in a common machine-readable format (JSON or CSV).",
        ),
        RightPhrase(
            "Restriction of processing",
            "GDPR art. 18",
            "you can ask us to only store your data for a while, for example while we look "
            "into an objection or the accuracy of your data. We tell you before the "
            "restriction ends.",
        ),
        RightPhrase(
            "Objection",
            "GDPR art. 21",
            "you can object to processing based on our legitimate interests, and always to "
            "direct marketing. Each processing activity above says how.",
        ),
        RightPhrase(
            "Withdrawing consent",
            "GDPR art. 7(3)",
            "you can withdraw consent you have given at any time, as easily as you gave it. "
            "Each processing activity above says how.",
        ),
    ),
    rights_terms=(
        "Exercising your rights is free of charge (GDPR art. 12(5)). We answer within one "
        "month of receiving your request. If a request is complex or we receive many, we can "
        "extend this by two further months; we then tell you so within the first month, with "
        "the reason (GDPR art. 12(3)).",
        "We do not ask for a copy of your identity document. If you are logged in, or confirm "
        "your request from your account's e-mail address, that is enough.",
        "If we refuse a request, we explain why, and you can lodge a complaint with the "
        "supervisory authority or go to court (GDPR art. 12(4)).",
    ),
    complaint_heading="Complaints",
    complaint=(
        "Are you unhappy with how we handle your personal data? Please tell us at {email}.",
        "You also have the right to lodge a complaint with the supervisory authority, the "
        "{authority} ({website}). You can do so at {complaint_url} (GDPR art. 77).",
    ),
    changes_heading="Changes to this policy",
    changes=(
        "We update this privacy policy when we add new products or apps, change our services, "
        "or when technology or the law changes. The top of this policy shows when it was last "
        "updated.",
        "We announce material changes in advance, by e-mail or with a notice on our website, "
        "before they take effect. Where the law requires it, we ask for your consent again; "
        "consent given earlier never covers a new purpose.",
    ),
    contact_heading="Contact",
    contact_controller="Controller: {controller}, {address}.",
    contact_email="E-mail: {email}",
    contact_website="Website: {website}",
    contact_chamber_of_commerce="Chamber of Commerce number: {number}",
    contact_privacy="Privacy questions and requests: {contact}, {email}",
)

PHRASES: Mapping[str, Phrases] = MappingProxyType({"nl": _NL, "en": _EN})

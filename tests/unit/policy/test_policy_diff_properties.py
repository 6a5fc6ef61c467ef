"""Properties of the policy diff (issue 16 item 2; LEGAL L48-L50, L86) over the shipped policy:
whichever activity is taken away or put back, and whichever consent text is reworded in
whichever language, the diff names exactly that and classifies it the same way. The worked
cases, one per field, are in test_policy_diff.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privaat.policy.diff import diff_policies
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.settings import default_policy_file

POLICY = load_policy_file(default_policy_file())
ACTIVITY_IDS = [a.id for a in POLICY.activities]
CONSENT_IDS = [a.id for a in POLICY.activities if a.consent is not None]
LANGUAGES = list(POLICY.policy.languages)


def _without(policy: Policy, activity_id: str) -> Policy:
    kept = tuple(a for a in policy.activities if a.id != activity_id)
    return policy.model_copy(update={"activities": kept})


def _reworded(policy: Policy, activity_id: str, lang: str, extra: str) -> Policy:
    activities = []
    for activity in policy.activities:
        if activity.id == activity_id and activity.consent is not None:
            request = activity.consent.request
            text = request.model_copy(update={lang: getattr(request, lang) + extra})
            consent = activity.consent.model_copy(update={"request": text})
            activity = activity.model_copy(update={"consent": consent})
        activities.append(activity)
    return policy.model_copy(update={"activities": tuple(activities)})


def test_l48_a_policy_compared_with_itself_has_no_change() -> None:
    same = diff_policies(POLICY, POLICY)
    assert same.is_empty and not same.is_material and not same.requires_reconsent


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(ACTIVITY_IDS))
def test_l49_an_activity_taken_away_or_put_back_is_named_and_classified(activity_id: str) -> None:
    smaller = _without(POLICY, activity_id)
    gone = diff_policies(POLICY, smaller)
    assert gone.removed == (activity_id,) and gone.added == () and gone.changed == ()
    # less processing: nothing to announce in advance, no consent to ask (L48)
    assert not gone.is_material and not gone.requires_reconsent
    back = diff_policies(smaller, POLICY)
    assert back.added == (activity_id,) and back.removed == () and back.changed == ()
    assert back.is_material
    consent_based = POLICY.activity(activity_id).consent is not None
    # a consent-based activity that is new asks everyone again: nobody has given it (L50)
    assert back.requires_reconsent == consent_based
    assert back.reconsent_activities == ((activity_id,) if consent_based else ())


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(CONSENT_IDS),
    st.sampled_from(LANGUAGES),
    st.text(alphabet="abcdefghij ", min_size=1, max_size=20).filter(str.strip),
)
def test_l86_a_consent_text_reworded_in_one_language_needs_that_consent_again(
    activity_id: str, lang: str, extra: str
) -> None:
    changed = diff_policies(POLICY, _reworded(POLICY, activity_id, lang, " " + extra))
    assert changed.changed == (activity_id,)
    assert [(c.field, c.languages) for c in changed.changes] == [("consent.request", (lang,))]
    assert changed.is_material and changed.reconsent_activities == (activity_id,)

"""Tag history rules (domain/history.add_event): a new event is compared with items[0] only."""
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.history import add_event
from chalicelib.domain.records import HistoryWrite, TagRecord
from chalicelib.resources.stream import TagEvent, TagEventCondition

T0 = datetime(2017, 9, 29, 13, 40, 11, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
REF_A = "quay.io/app@sha256:" + "a" * 64
REF_B = "quay.io/app@sha256:" + "b" * 64
IMG_A = "sha256:" + "a" * 64
IMG_B = "sha256:" + "b" * 64
FAILED = TagEventCondition(type="ImportSuccess", status="False", reason="NotFound",
                           message="not found", generation=1)


def event(ref=REF_A, image=IMG_A, generation=1, created=T0):
    return TagEvent(created=created, docker_image_reference=ref, image=image,
                    generation=generation)


def tag_with(head, seq=3, conditions=(FAILED,)):
    return TagRecord(name="latest", incarnation="inc1", head=head, head_seq=seq,
                     conditions=conditions)


def test_first_event_starts_the_history():
    tag = TagRecord(name="latest", incarnation="inc1", conditions=(FAILED,))
    first = event()
    updated, write = add_event(tag, first)
    assert write == HistoryWrite("latest", "inc1", 1, first, None)
    assert updated.head == first
    assert updated.head_seq == 1
    assert updated.conditions == ()


def test_same_reference_image_and_generation_is_not_a_new_event():
    tag = tag_with(event())
    updated, write = add_event(tag, event(created=T1))
    assert write is None
    assert updated is tag
    assert updated.conditions == (FAILED,)  # nothing changed, so conditions stay


def test_only_generation_differs_updates_items0_in_place():
    head = event(generation=1)
    updated, write = add_event(tag_with(head), event(generation=2, created=T1))
    assert write.seq == 3 and updated.head_seq == 3
    assert write.replaced == head
    assert updated.head == event(generation=2, created=T0)
    assert write.event == updated.head


def test_same_reference_new_image_updates_items0_in_place():
    head = event(ref=REF_A, image=IMG_A)
    updated, write = add_event(tag_with(head), event(ref=REF_A, image=IMG_B, generation=4,
                                                     created=T1))
    assert (write.seq, write.replaced) == (3, head)
    assert updated.head == event(ref=REF_A, image=IMG_B, generation=4, created=T0)


def test_same_image_new_reference_updates_items0_in_place():
    head = event(ref=REF_A, image=IMG_A)
    updated, write = add_event(tag_with(head), event(ref=REF_B, image=IMG_A, created=T1))
    assert (write.seq, write.replaced) == (3, head)
    assert updated.head == event(ref=REF_B, image=IMG_A, created=T0)


def test_new_reference_and_new_image_is_pushed_on_top():
    head = event(ref=REF_A, image=IMG_A)
    new = event(ref=REF_B, image=IMG_B, created=T1)
    updated, write = add_event(tag_with(head), new)
    assert write == HistoryWrite("latest", "inc1", 4, new, None)
    assert updated.head == new and updated.head_seq == 4


def test_reference_only_event_after_an_image_is_pushed():
    head = event(ref=REF_A, image=IMG_A)
    new = event(ref="docker.io/library/python:3.6", image="", created=T1)
    updated, write = add_event(tag_with(head), new)
    assert write.seq == 4 and write.replaced is None
    assert updated.head == new


def test_any_change_clears_conditions():
    head = event()
    for new in (event(generation=2), event(image=IMG_B), event(ref=REF_B),
                event(ref=REF_B, image=IMG_B)):
        updated, write = add_event(tag_with(head), new)
        assert write is not None
        assert updated.conditions == ()


def test_in_place_update_keeps_the_head_created_time():
    head = event(created=T0)
    for new in (event(generation=9, created=T1), event(image=IMG_B, created=T1),
                event(ref=REF_B, created=T1)):
        updated, _ = add_event(tag_with(head), new)
        assert updated.head.created == T0


def test_add_event_does_not_modify_its_inputs():
    head = event()
    tag = tag_with(head)
    new = event(ref=REF_B, image=IMG_A, created=T1)
    add_event(tag, new)
    assert tag.head == event() and tag.head_seq == 3 and tag.conditions == (FAILED,)
    assert new == event(ref=REF_B, image=IMG_A, created=T1)


def test_items0_may_come_to_equal_items1_through_in_place_updates():
    # Only items[0] is compared, as in OpenShift: two in-place updates can make the head
    # target the same (reference, image) as the entry below it.
    history = apply_all([event(REF_A, IMG_A), event(REF_B, IMG_B), event(REF_B, IMG_A),
                         event(REF_A, IMG_A)])
    assert [(e.docker_image_reference, e.image) for e in history] == [(REF_A, IMG_A),
                                                                     (REF_A, IMG_A)]


# -- property: random event sequences

def apply_all(events, checks=None):
    """Apply events with add_event, materialising the history as the store would."""
    tag = TagRecord(name="t", incarnation="i")
    history: list[TagEvent] = []
    for new in events:
        before_head, before = tag.head, list(history)
        tag, write = add_event(tag, new)
        if write is not None:
            if write.replaced is None:
                history.insert(0, write.event)
            else:
                history[0] = write.event
        if checks:
            checks(before_head, before, new, write, tag, history)
    return history


refs = st.sampled_from([REF_A, REF_B, "quay.io/app:1", "docker.io/library/python:3.6"])
images = st.sampled_from([IMG_A, IMG_B, "sha256:" + "c" * 64, ""])
events = st.lists(
    st.builds(event, ref=refs, image=images, generation=st.integers(0, 3),
              created=st.integers(0, 10 ** 6).map(lambda s: T0 + timedelta(seconds=s))),
    min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(events)
def test_history_property(sequence):
    def checks(before_head, before, new, write, tag, history):
        # items[0] is always the last event's reference and image
        assert (history[0].docker_image_reference, history[0].image) == (
            new.docker_image_reference, new.image)
        assert tag.head == history[0]
        assert tag.head_seq == len(history)
        if before_head is None:
            assert history == [new]
            return
        same_ref = before_head.docker_image_reference == new.docker_image_reference
        same_image = before_head.image == new.image
        if write is None:
            # a duplicate of items[0] changes nothing
            assert same_ref and same_image and before_head.generation == new.generation
            assert history == before
        elif same_ref or same_image:
            # in place: same length, older entries untouched, created time kept
            assert len(history) == len(before) and history[1:] == before[1:]
            assert history[0].created == before[0].created
            assert history[0].generation == new.generation
        else:
            # the only way the history grows: a push on top of an entry it differs from
            assert history == [new] + before
            assert history[0].docker_image_reference != history[1].docker_image_reference
            assert history[0].image != history[1].image

    history = apply_all(sequence, checks)
    # Adjacent entries are never identical when one is pushed over the other (checked above);
    # entries below items[0] are never rewritten. Only in-place updates of items[0] can make it
    # equal the entry below (see test_items0_may_come_to_equal_items1_through_in_place_updates).
    # Re-applying the current head is never a new event:
    last = sequence[-1]
    tag = TagRecord(name="t", incarnation="i", head=history[0], head_seq=len(history))
    assert add_event(tag, last.model_copy(update={"generation": history[0].generation}))[1] \
        is None

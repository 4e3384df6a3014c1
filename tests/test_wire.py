"""The wire form carries plain values both ways and nothing else."""

import pytest

from grader.sandbox.boot import _mpgrade_wire as wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        -2.5,
        "straße",
        True,
        [1, (2, 3)],
        {"a": [1, {"b": (None,)}]},
        (),
        [],
        {},
        [(n, n * n, 4242) for n in range(5)],
    ],
)
def test_round_trip(value: object) -> None:
    assert wire.decode_value(wire.encode_value(value)) == value
    assert type(wire.decode_value(wire.encode_value(value))) is type(value)


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", range(3)])
def test_unsendable_names_the_type(value: object) -> None:
    with pytest.raises(wire.UnsendableValue, match=type(value).__name__):
        wire.encode_value(value)


def test_list_subclass_is_not_a_plain_list() -> None:
    class Proxyish(list):  # type: ignore[type-arg]
        pass

    with pytest.raises(wire.UnsendableValue, match="Proxyish"):
        wire.encode_value(Proxyish([1]))


@pytest.mark.parametrize("data", [{"x": 1}, {"tuple": 3}, {"tuple": [], "dict": []}])
def test_decode_rejects_what_encode_never_makes(data: object) -> None:
    with pytest.raises(ValueError):
        wire.decode_value(data)


def test_messages_need_a_kind() -> None:
    assert wire.load_message(wire.dump_message(wire.STARTED))["kind"] == "started"
    with pytest.raises(ValueError):
        wire.load_message(b'{"no": "kind"}\n')

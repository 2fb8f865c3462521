"""The revert strings brownie shows for custom errors, built from readable arguments."""


def err(name: str, *args: object) -> str:
    """brownie's text for `revert name(args)`: `Name: a, b` (bytes32 as Python bytes)."""
    return f"{name}: {', '.join(_show(a) for a in args)}"


def _show(arg: object) -> str:
    text = str(arg)
    if text.startswith("0x") and len(text) == 66:  # bytes32: brownie prints the bytes object
        return str(bytes.fromhex(text[2:]))
    if text.startswith("0x") and len(text) == 42:  # address: lower-case hex
        return text.lower()
    return text

"""Phone numbers: one rule everywhere in Relance.

A number without a country code is read in the default region (RELANCE_DEFAULT_REGION,
FR unless set); a number that ``phonenumbers`` cannot parse or does not hold valid is
refused. Valid numbers are stored and returned in E.164. A stored number's region (what a
sequence's filter reads as phoneCountry) is ``region_of``.
"""

import phonenumbers


class InvalidPhoneNumber(ValueError):
    pass


def to_e164(raw: str, *, default_region: str) -> str:
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str:
    """The ISO region of a stored (E.164) number, e.g. ``FR``; ``""`` when it has none."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""
    except phonenumbers.NumberParseException:
        return ""

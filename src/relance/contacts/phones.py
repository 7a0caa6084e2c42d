"""Phone numbers: one rule everywhere in Relance.

A number without a country code is read in the default region (RELANCE_DEFAULT_REGION,
FR unless set); a number that ``phonenumbers`` cannot parse or does not hold valid is
refused. Valid numbers are stored and returned in E.164.
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

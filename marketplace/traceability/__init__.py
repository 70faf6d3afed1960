"""Traceability: lots of a product, GS1 Digital Link identifiers, passports, labels, recalls."""

"""Producers, products, OCOP categories, certificates, images, localities."""

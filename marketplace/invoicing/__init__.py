"""Invoicing: buyers' invoice requests, tax-authority XML per order part, provider connectors."""

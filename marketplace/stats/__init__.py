"""Sales statistics, the e-commerce share indicator, exports and open data."""

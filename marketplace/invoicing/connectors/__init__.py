"""Connectors to e-invoice providers behind one interface (base.Connector)."""

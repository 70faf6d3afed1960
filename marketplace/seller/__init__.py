"""Seller portal: producers join, invite members, manage listings, certificates and orders.

Every query here is scoped to one producer (`producer_id` of the signed-in member):
another producer's product or order part is simply not found.
"""

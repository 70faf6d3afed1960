"""Seller portal: producers join, invite members, manage listings, certificates and orders.

Every query here is scoped to one producer (`producer_id` of the signed-in member):
another producer's product or order part is simply not found.

One module a job: `members` (joining, invitations), `listings` (find, create, write
fields, archive), `photos`, `certificates` (claims, expiry warnings), `first_save` and
`edit` (a listing with its photos and certificate in one save), `stock` (edits that never
erase reservations), `bulk` (CSV/XLSX export, CSV import), `orders` (the parcels to ship),
`sales`, `tokens` (API tokens); `views` is the portal's pages, `cli` its daily job.
"""

"""Web pages for accounts: register, log in, log out."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

"""Shop pages: home, catalogue, product, producer."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

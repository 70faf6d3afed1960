"""Import every model so SQLAlchemy's metadata (and Alembic) sees the whole schema."""
from .accounts.models import Address, ApiToken, PasswordResetToken, User, UserSession  # noqa: F401
from .audit import AuditEntry  # noqa: F401
from .cart.models import Cart, CartItem  # noqa: F401
from .checkout.models import IdempotencyKey  # noqa: F401
from .catalog.models import Category, Certificate, Locality, Producer, Product, ProductImage  # noqa: F401
from .orders.models import Order, OrderEvent, OrderLine, OrderPart  # noqa: F401
from .payments.models import BankTransfer, LedgerEntry, PaymentAttempt, ProviderEvent, Refund  # noqa: F401
from .cache import CacheVersion  # noqa: F401
from .mail.models import OutgoingMail  # noqa: F401
from .search.models import SearchDocument, SearchFacet  # noqa: F401
from .stats.models import ChannelSale, RetailTotal  # noqa: F401
from .traceability.models import FakeReport, LineLot, Lot, LotFile  # noqa: F401
from .alerts.models import StockAlert  # noqa: F401
from .invoicing.models import InvoiceRequest, PartInvoice, VatRate  # noqa: F401

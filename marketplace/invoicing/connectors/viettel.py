"""Viettel S-Invoice (sinvoice.viettel.vn), from its public web service documentation
("Tài liệu tích hợp hóa đơn điện tử S-Invoice", the API also used by Odoo's
l10n_vn_edi_viettel):

- `POST {base}/auth/login` JSON `{"username", "password"}` -> `{"access_token", "expires_in", …}`;
  later calls carry the token as the cookie `access_token`.
- `POST {base}/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/createInvoice/{supplierTaxCode}`
  JSON `{generalInvoiceInfo, buyerInfo, sellerInfo, payments, itemInfo, taxBreakdowns,
  summarizeInfo}`; `generalInvoiceInfo.transactionUuid` is the caller's key: the provider
  refuses a key it has seen. Answer `{"errorCode": null, "description": null,
  "result": {"supplierTaxCode", "invoiceNo", "transactionID", "reservationCode"}}`, or an
  `errorCode` and `description` on refusal. `invoiceNo` is the series then the number
  ("C26TAA12"); `reservationCode` is the lookup code the buyer enters on the portal.
- `POST {base}/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid`
  form `supplierTaxCode`, `transactionUuid` -> `{"errorCode", "description",
  "result": [{"invoiceNo", "reservationCode", "issueDate" (ms), …}]}`.

Before sending a key again after a timeout, the connector searches by it: an invoice the
first call issued is returned, never issued twice.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from ...timeutil import to_local
from ..xmldoc import InvoiceData
from .base import Issued, NotRegistered, Rejected, Unavailable

API = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS"
UTILS = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceUtilsWS"
TEMPLATE_CODES = {"1": "01GTKT", "2": "02GTTT"}


class ViettelSInvoice:
    name = "viettel"

    def __init__(self, base_url: str, username: str, password: str, supplier_tax_code: str,
                 template_code: str, series: str, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/")
        self.username, self.password = username, password
        self.supplier_tax_code, self.template_code, self.series = supplier_tax_code, template_code, series
        self.timeout = timeout
        self._token: str | None = None

    # ---------------------------------------------------------------- HTTP
    def _call(self, path: str, body: bytes, content_type: str, token: bool = True) -> dict:
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if token:
            headers["Cookie"] = f"access_token={self._login()}"
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            if exc.code >= 500:
                raise Unavailable(f"S-Invoice HTTP {exc.code}", code=str(exc.code)) from exc
            try:
                answer = json.loads(text)
            except ValueError:
                answer = {}
            raise Rejected(answer.get("description") or f"S-Invoice HTTP {exc.code}",
                           code=str(answer.get("errorCode") or exc.code)) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise Unavailable(f"S-Invoice unreachable: {exc}", code="timeout") from exc
        except ValueError as exc:
            raise Unavailable("S-Invoice answered something that is not JSON", code="bad_answer") from exc

    def _login(self) -> str:
        if self._token is None:
            answer = self._call("/auth/login", json.dumps({"username": self.username, "password": self.password})
                                .encode(), "application/json", token=False)
            if not answer.get("access_token"):
                raise Rejected("S-Invoice login refused", code="login")
            self._token = answer["access_token"]
        return self._token

    # ---------------------------------------------------------------- API
    def check(self) -> None:
        self._token = None
        try:
            self._login()
        except Rejected as exc:  # code "login": the sign-in itself was refused
            raise Rejected(exc.message, code="login") from exc
        answer = self._call(f"{UTILS}/getAllInvoiceTemplates", json.dumps(
            {"taxCode": self.supplier_tax_code, "invoiceType": "all"}).encode(), "application/json")
        if answer.get("errorCode"):
            raise Rejected(answer.get("description") or answer["errorCode"], code=str(answer["errorCode"]))
        known = [(str(t.get("templateCode") or ""), str(t.get("invoiceSeri") or ""))
                 for t in answer.get("template") or []]
        if (self.template_code, self.series) not in known:
            raise NotRegistered(self.template_code, self.series, known,
                                template_known=any(template == self.template_code for template, _ in known))

    def payload(self, data: InvoiceData, transaction_uuid: str) -> dict:
        issued = _ms(data.issued_on)
        vat = data.vat
        increase = data.sign > 0
        items = [{"lineNumber": n, "itemCode": line.code, "itemName": line.name, "unitName": line.unit,
                  "unitPrice": float(line.unit_price) if vat else line.gross_vnd / line.quantity,
                  "quantity": line.quantity,
                  "itemTotalAmountWithoutTax": line.net_vnd if vat else line.gross_vnd,
                  "taxPercentage": (-2 if line.rate == "KCT" else int(line.rate)) if vat else -2,
                  "taxAmount": line.vat_vnd if vat else 0,
                  "itemTotalAmountWithTax": line.gross_vnd, **({} if data.related is None else
                                                               {"isIncreaseItem": increase})}
                 for n, line in enumerate(data.lines, start=1)]
        general = {"invoiceType": TEMPLATE_CODES[data.template], "templateCode": self.template_code,
                   "invoiceSeries": self.series, "currencyCode": "VND", "exchangeRate": 1,
                   "invoiceIssuedDate": issued, "adjustmentType": "1", "paymentStatus": True,
                   "cusGetInvoiceRight": True, "transactionUuid": transaction_uuid}
        summary = {"sumOfTotalLineAmountWithoutTax": data.net_vnd, "totalAmountWithoutTax": data.net_vnd,
                   "totalTaxAmount": data.vat_vnd, "totalAmountWithTax": data.total_vnd, "discountAmount": 0}
        if data.related is not None:
            original = data.related
            general.update({"adjustmentType": "5", "adjustmentInvoiceType": "1",
                            "originalInvoiceId": f"{original.series}{original.number}",
                            "originalInvoiceIssueDate": _ms(original.issued_on),
                            # The template it was issued under, which the connection may no longer use.
                            "originalTemplateCode": original.template_code or self.template_code,
                            "additionalReferenceDesc": original.note, "additionalReferenceDate": issued})
            summary.update({"isTotalAmountPos": increase, "isTotalTaxAmountPos": increase,
                            "isTotalAmtWithoutTaxPos": increase})
        return {
            "generalInvoiceInfo": general,
            "buyerInfo": {"buyerName": data.buyer.name if not data.buyer.tax_code else "",
                          "buyerLegalName": data.buyer.name if data.buyer.tax_code else "",
                          "buyerTaxCode": data.buyer.tax_code or "", "buyerAddressLine": data.buyer.address,
                          "buyerEmail": data.buyer.email or "", "buyerPhoneNumber": data.buyer.phone or ""},
            "sellerInfo": {"sellerLegalName": data.seller.name, "sellerTaxCode": self.supplier_tax_code,
                           "sellerAddressLine": data.seller.address},
            "payments": [{"paymentMethodName": data.payment_method}],
            "itemInfo": items,
            "taxBreakdowns": [{"taxPercentage": -2 if rate == "KCT" else int(rate), "taxableAmount": net,
                               "taxAmount": tax} for rate, net, tax in data.rate_groups()] if vat else [],
            "summarizeInfo": summary,
        }

    def find(self, transaction_uuid: str) -> Issued | None:
        """The invoice an earlier call issued under this key, if any."""
        answer = self._call(f"{API}/searchInvoiceByTransactionUuid", urllib.parse.urlencode(
            {"supplierTaxCode": self.supplier_tax_code, "transactionUuid": transaction_uuid}).encode(),
            "application/x-www-form-urlencoded")
        found = answer.get("result") or []
        if answer.get("errorCode") or not found:
            return None
        first = found[0]
        issued = first.get("issueDate")
        day = to_local(datetime.fromtimestamp(issued / 1000, timezone.utc)).date() if issued else None
        return self._issued(first.get("invoiceNo") or "", first.get("reservationCode") or "", day)

    def _issued(self, invoice_no: str, reservation: str, day) -> Issued:
        series, number = invoice_no[:6], invoice_no[6:].lstrip("0") or "0"
        return Issued(series=series, number=number, lookup_code=reservation,
                      issued_on=day or to_local(datetime.now(timezone.utc)).date(), template_code=self.template_code)

    def issue(self, data: InvoiceData, transaction_uuid: str) -> Issued:
        if data.related is not None:
            raise ValueError("an adjusting invoice goes through adjust()")
        return self._create(data, transaction_uuid)

    def adjust(self, data: InvoiceData, transaction_uuid: str) -> Issued:
        if data.related is None:
            raise ValueError("adjust() needs the original invoice in data.related")
        return self._create(data, transaction_uuid)

    def _create(self, data: InvoiceData, transaction_uuid: str) -> Issued:
        answer = self._call(f"{API}/createInvoice/{urllib.parse.quote(self.supplier_tax_code)}",
                            json.dumps(self.payload(data, transaction_uuid), ensure_ascii=False).encode("utf-8"),
                            "application/json")
        if answer.get("errorCode"):
            raise Rejected(answer.get("description") or answer["errorCode"], code=str(answer["errorCode"]))
        result = answer.get("result") or {}
        if not result.get("invoiceNo"):
            raise Unavailable("S-Invoice answered without an invoice number", code="bad_answer")
        return self._issued(result["invoiceNo"], result.get("reservationCode") or "", data.issued_on)


def _ms(day) -> int:
    """A day as S-Invoice's dates: milliseconds since the epoch (the day's start, UTC)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)

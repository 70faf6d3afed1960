"""A local stand-in for Viettel S-Invoice's web services, following its public documentation:

- POST /auth/login {"username", "password"} -> {"access_token", "token_type", "expires_in"}; 
  wrong credentials: HTTP 401.
- POST /services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/createInvoice/{supplierTaxCode}
  (cookie access_token) JSON body -> {"errorCode": null, "description": null, "result":
  {"supplierTaxCode", "invoiceNo", "transactionID", "reservationCode"}}; refusals carry an
  errorCode and description; a transactionUuid already used is refused.
- POST .../InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid (form supplierTaxCode,
  transactionUuid) -> {"errorCode": null, "result": [{"invoiceNo", "reservationCode", "issueDate"}]}
  or errorCode "NOT_FOUND_DATA".
- POST .../InvoiceAPI/InvoiceUtilsWS/getAllInvoiceTemplates JSON {"taxCode", "invoiceType"} ->
  {"errorCode": null, "template": [{"templateCode", "invoiceSeri", "invoiceType"}]}: the
  templates and series registered for the supplier (`templates`).
- createInvoice refuses a templateCode/invoiceSeries pair that is not registered, and with
  adjustmentType "5" (an adjusting invoice) checks its reference as the documentation asks:
  adjustmentInvoiceType "1" or "2", an originalInvoiceId the supplier issued (here, or in
  S-Invoice's own portal: `portal_invoices`), its originalInvoiceIssueDate and
  originalTemplateCode (the template the original was issued under), an additionalReferenceDesc, isIncreaseItem on every line, and a
  decrease no larger than what is left of the original.

`behaviour` scripts the next create calls: "ok", "reject", "slow" (answers after the client
gave up, but the invoice IS issued), "error500" (fails before issuing).
"""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/"
UTILS = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceUtilsWS/"
DAY_MS = 86_400_000
PORT = 0  # a free port: runs side by side do not collide


class StandIn:
    def __init__(self, port: int = PORT, tax_code: str = "0100112437", series: str = "C26TAA"):
        self.tax_code, self.series = tax_code, series
        self.behaviour: list[str] = []
        self.invoices: dict[str, dict] = {}  # transactionUuid -> invoice
        self.templates = [{"templateCode": "1/001", "invoiceSeri": series, "invoiceType": "1"},
                          {"templateCode": "2/001", "invoiceSeri": "C26TBB", "invoiceType": "2"}]
        # Invoices the producer issued in S-Invoice's portal, by hand: invoiceNo -> invoice.
        self.portal_invoices: dict[str, dict] = {}
        self.creates: list[dict] = []
        self.searches = 0
        self.totals: dict[str, int] = {}  # invoiceNo -> totalAmountWithTax
        self.adjustments: list[dict] = []
        self.slow_seconds = 1.5
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _refuse(self, code: str, description: str) -> None:
                self._answer(200, {"errorCode": code, "description": description, "result": None})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/auth/login":
                    body = json.loads(raw)
                    if (body.get("username"), body.get("password")) != ("0100112437", "secret"):
                        return self._answer(401, {"error": "invalid_grant"})
                    return self._answer(200, {"access_token": "tok-1", "token_type": "bearer", "expires_in": 599})
                if "access_token=tok-1" not in (self.headers.get("Cookie") or ""):
                    return self._answer(401, {"errorCode": "UNAUTHORIZED", "description": "token"})
                if self.path == PREFIX + "searchInvoiceByTransactionUuid":
                    stand_in.searches += 1
                    form = dict(urllib.parse.parse_qsl(raw.decode()))
                    found = stand_in.invoices.get(form.get("transactionUuid"))
                    if form.get("supplierTaxCode") != stand_in.tax_code or not found:
                        return self._answer(200, {"errorCode": "NOT_FOUND_DATA", "description": "Không tìm thấy",
                                                  "result": None})
                    return self._answer(200, {"errorCode": None, "description": None, "result": [found]})
                if self.path == UTILS + "getAllInvoiceTemplates":
                    body = json.loads(raw)
                    if body.get("taxCode") != stand_in.tax_code:
                        return self._answer(200, {"errorCode": "TAX_CODE_INVALID", "description": "Mã số thuế không "
                                                  "đúng", "template": None})
                    return self._answer(200, {"errorCode": None, "description": None, "template": stand_in.templates})
                if self.path == PREFIX + f"createInvoice/{stand_in.tax_code}":
                    body = json.loads(raw)
                    stand_in.creates.append(body)
                    mode = stand_in.behaviour.pop(0) if stand_in.behaviour else "ok"
                    general = body["generalInvoiceInfo"]
                    key = general["transactionUuid"]
                    if mode == "error500":
                        return self._answer(500, {"message": "GENERAL"})
                    if mode == "reject" or not stand_in.registered(general):
                        return self._refuse("INVOICE_TEMPLATE_NOT_FOUND", "Mẫu hóa đơn không tồn tại")
                    if key in stand_in.invoices:
                        return self._refuse("TRANSACTION_UUID_INVALID", "transactionUuid đã tồn tại")
                    refusal = stand_in.check_adjustment(body) if general.get("adjustmentType") == "5" else None
                    if refusal:
                        return self._refuse(*refusal)
                    number = stand_in.next_number(general["invoiceSeries"])
                    invoice = {"invoiceNo": f"{general['invoiceSeries']}{number}",
                               "reservationCode": f"RES{number:05d}", "transactionID": f"TX{number}",
                               "issueDate": general["invoiceIssuedDate"], "templateCode": general["templateCode"]}
                    stand_in.invoices[key] = invoice
                    stand_in.totals[invoice["invoiceNo"]] = body["summarizeInfo"]["totalAmountWithTax"]
                    if general.get("adjustmentType") == "5":
                        stand_in.adjustments.append({**invoice, "original": general["originalInvoiceId"]})
                    if mode == "slow":
                        time.sleep(stand_in.slow_seconds)
                    return self._answer(200, {"errorCode": None, "description": None,
                                              "result": {"supplierTaxCode": stand_in.tax_code, **invoice}})
                return self._answer(404, {"errorCode": "NOT_FOUND", "description": self.path})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def registered(self, general: dict) -> bool:
        return any((t["templateCode"], t["invoiceSeri"]) == (general.get("templateCode"), general.get("invoiceSeries"))
                   for t in self.templates)

    def next_number(self, series: str) -> int:
        """Numbers run on within a series, after those issued in the portal too."""
        numbers = [int(i["invoiceNo"][len(series):]) for i in (*self.invoices.values(), *self.portal_invoices.values())
                   if i["invoiceNo"].startswith(series)]
        return max(numbers, default=0) + 1

    def issued(self, invoice_no: str) -> dict | None:
        """An invoice of the supplier by its invoiceNo: issued through the API or in the portal."""
        return self.portal_invoices.get(invoice_no) or next(
            (i for i in self.invoices.values() if i["invoiceNo"] == invoice_no), None)

    def check_adjustment(self, body: dict) -> tuple[str, str] | None:
        """Why an adjusting invoice is refused, if it is: (errorCode, description)."""
        general, items = body["generalInvoiceInfo"], body["itemInfo"]
        if general.get("adjustmentInvoiceType") not in ("1", "2"):
            return "ADJUSTMENT_INVOICE_TYPE_INVALID", "adjustmentInvoiceType phải là 1 hoặc 2"
        original = self.issued(general.get("originalInvoiceId") or "")
        if original is None:
            return "ORIGINAL_INVOICE_NOT_FOUND", "Không tìm thấy hóa đơn gốc"
        when = general.get("originalInvoiceIssueDate")
        if not isinstance(when, int) or when // DAY_MS != original["issueDate"] // DAY_MS:
            return "ORIGINAL_INVOICE_ISSUE_DATE_INVALID", "Ngày lập hóa đơn gốc không đúng"
        if general.get("originalTemplateCode") != original["templateCode"]:
            return "ORIGINAL_TEMPLATE_CODE_INVALID", "Mẫu số hóa đơn gốc không đúng"
        if not (general.get("additionalReferenceDesc") or "").strip():
            return "ADDITIONAL_REFERENCE_DESC_REQUIRED", "Thiếu thông tin văn bản thỏa thuận"
        if not items or any(not isinstance(i.get("isIncreaseItem"), bool) for i in items):
            return "IS_INCREASE_ITEM_INVALID", "Thiếu isIncreaseItem"
        decrease = sum(i["itemTotalAmountWithTax"] for i in items if not i["isIncreaseItem"])
        before = self.totals.get(original["invoiceNo"], original.get("total", 0))
        done = sum(self.totals[a["invoiceNo"]] for a in self.adjustments if a["original"] == original["invoiceNo"])
        if decrease > before - done:
            return "ADJUSTMENT_AMOUNT_INVALID", "Số tiền điều chỉnh giảm vượt quá hóa đơn gốc"
        return None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

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
PORT = 5102


class StandIn:
    def __init__(self, port: int = PORT, tax_code: str = "0100112437", series: str = "C26TAA"):
        self.tax_code, self.series = tax_code, series
        self.behaviour: list[str] = []
        self.invoices: dict[str, dict] = {}  # transactionUuid -> invoice
        self.creates: list[dict] = []
        self.searches = 0
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
                if self.path == PREFIX + f"createInvoice/{stand_in.tax_code}":
                    body = json.loads(raw)
                    stand_in.creates.append(body)
                    mode = stand_in.behaviour.pop(0) if stand_in.behaviour else "ok"
                    key = body["generalInvoiceInfo"]["transactionUuid"]
                    if mode == "error500":
                        return self._answer(500, {"message": "GENERAL"})
                    if mode == "reject":
                        return self._answer(200, {"errorCode": "INVOICE_TEMPLATE_NOT_FOUND",
                                                  "description": "Mẫu hóa đơn không tồn tại", "result": None})
                    if key in stand_in.invoices:
                        return self._answer(200, {"errorCode": "TRANSACTION_UUID_INVALID",
                                                  "description": "transactionUuid đã tồn tại", "result": None})
                    number = len(stand_in.invoices) + 1
                    invoice = {"invoiceNo": f"{stand_in.series}{number}", "reservationCode": f"RES{number:05d}",
                               "transactionID": f"TX{number}",
                               "issueDate": body["generalInvoiceInfo"]["invoiceIssuedDate"]}
                    stand_in.invoices[key] = invoice
                    if mode == "slow":
                        time.sleep(stand_in.slow_seconds)
                    return self._answer(200, {"errorCode": None, "description": None,
                                              "result": {"supplierTaxCode": stand_in.tax_code, **invoice}})
                return self._answer(404, {"errorCode": "NOT_FOUND", "description": self.path})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

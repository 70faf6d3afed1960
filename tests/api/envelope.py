"""The error envelope of API.md, checked the same way by every API test."""

def error_of(response, status: int) -> dict:
    """Assert the status and the error envelope of API.md; return the inner error."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"] == error["code"].lower()
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "fields"}
    return error

def test_guard(database_url: str) -> None:
    pass

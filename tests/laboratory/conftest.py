import pytest

from laboratory.catalogue import catalogue_load


@pytest.fixture
def catalogue(db):
    """The shipped catalogue, loaded."""
    catalogue_load()

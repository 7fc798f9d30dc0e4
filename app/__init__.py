"""The web application: pages, database and services. Depends on `indicators` and `scoring`."""

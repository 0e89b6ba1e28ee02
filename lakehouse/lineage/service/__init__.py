"""Our Marquez-API-compatible lineage service for the local target.

``store`` keeps OpenLineage events and the model Marquez derives from them in SQLite,
``model`` renders that model in Marquez's JSON shapes, ``layout`` places a lineage graph
for the web page, ``app`` is the Flask app (API + ``/lineage/{type}/{ns}/{name}`` page),
``server`` runs it on loopback, ``process`` starts and stops that process.
"""

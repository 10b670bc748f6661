"""The CSV import pipeline, one concern per module.

``reader`` decodes and parses the uploaded file (pure Python, no database),
``staging`` COPYs the parsed rows into a temporary table, ``merge`` turns the
staged rows into products with set-based SQL, and ``progress`` publishes the
job's state to Redis and the job row while the work runs.
"""

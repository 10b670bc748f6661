from celery import shared_task

from catalog.services import catalog_statistics_refresh


@shared_task(ignore_result=True)
def catalog_statistics_refresh_task() -> None:
    catalog_statistics_refresh()

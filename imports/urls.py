from django.urls import path

from imports import apis, views

urlpatterns = [
    path("imports/", views.imports_page, name="imports-page"),
    path(
        "api/products/upload/", apis.ImportUploadApi.as_view(), name="api-import-upload"
    ),
    path(
        "api/products/upload/<int:job_id>/status/",
        apis.ImportJobDetailApi.as_view(),
        name="api-import-status",
    ),
    path("api/imports/", apis.ImportJobListApi.as_view(), name="api-import-list"),
    path(
        "api/imports/<int:job_id>/",
        apis.ImportJobDetailApi.as_view(),
        name="api-import-detail",
    ),
    path(
        "api/imports/<int:job_id>/events/",
        apis.import_job_events,
        name="api-import-events",
    ),
    path(
        "api/imports/<int:job_id>/errors.csv",
        apis.ImportJobErrorsApi.as_view(),
        name="api-import-errors",
    ),
    path(
        "api/imports/<int:job_id>/retry/",
        apis.ImportJobRetryApi.as_view(),
        name="api-import-retry",
    ),
    path(
        "api/imports/<int:job_id>/cancel/",
        apis.ImportJobCancelApi.as_view(),
        name="api-import-cancel",
    ),
]

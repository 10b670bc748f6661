from django.urls import path

from webhooks import apis, views

urlpatterns = [
    path("webhooks/", views.webhook_list_view, name="webhook-list"),
    path("webhooks/new/", views.webhook_create_view, name="webhook-create"),
    path(
        "webhooks/<int:webhook_id>/", views.webhook_detail_view, name="webhook-detail"
    ),
    path(
        "webhooks/<int:webhook_id>/edit/", views.webhook_edit_view, name="webhook-edit"
    ),
    path(
        "webhooks/<int:webhook_id>/toggle/",
        views.webhook_toggle_view,
        name="webhook-toggle",
    ),
    path(
        "webhooks/<int:webhook_id>/delete/",
        views.webhook_delete_view,
        name="webhook-delete",
    ),
    path(
        "webhooks/<int:webhook_id>/test/", views.webhook_test_view, name="webhook-test"
    ),
    path(
        "webhooks/<int:webhook_id>/rotate-secret/",
        views.webhook_rotate_view,
        name="webhook-rotate",
    ),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
        views.webhook_redeliver_view,
        name="webhook-redeliver",
    ),
    path("api/webhooks/", apis.WebhookListApi.as_view(), name="api-webhook-list"),
    path(
        "api/webhooks/<int:webhook_id>/",
        apis.WebhookDetailApi.as_view(),
        name="api-webhook-detail",
    ),
    path(
        "api/webhooks/<int:webhook_id>/test/",
        apis.webhook_test_api,
        name="api-webhook-test",
    ),
    path(
        "api/webhooks/<int:webhook_id>/deliveries/",
        apis.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "api/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
        apis.WebhookRedeliverApi.as_view(),
        name="api-webhook-redeliver",
    ),
    path(
        "api/webhooks/<int:webhook_id>/rotate-secret/",
        apis.WebhookSecretRotateApi.as_view(),
        name="api-webhook-rotate-secret",
    ),
]

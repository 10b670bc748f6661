from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredExceptApiMiddleware(LoginRequiredMiddleware):
    """Redirects anonymous visitors of UI pages to the login page.

    API views are left to REST framework: it also accepts token
    authentication, which runs after this middleware, and answers anonymous
    callers with a JSON 401 instead of an HTML redirect.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

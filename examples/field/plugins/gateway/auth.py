"""An ASGI middleware the vLLM server imports with --middleware gateway.auth.TenantHeader."""


class TenantHeader:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)

import type { RestRoute } from "../http/types.ts";
import { loginInput, passwordResetInput, refreshInput, registerInput, uuid } from "./schema.ts";
import * as service from "./service.ts";

export const authRoutes: RestRoute[] = [
  {
    method: "POST",
    path: "/auth/register",
    handler: async ({ core, body, ip, userAgent, raw, principal }) => {
      // Registration is public; a signed-in caller (an administrator adding someone) is the audit's actor.
      const createdBy = raw.headers.authorization ? ((await principal().catch(() => null))?.userId ?? null) : null;
      return { status: 201, body: { user: await service.register(core, registerInput.parse(body), { ip, userAgent, createdBy }) } };
    },
  },
  {
    method: "POST",
    path: "/auth/login",
    handler: async ({ core, body, ip, userAgent }) => ({ body: await service.login(core, loginInput.parse(body), { ip, userAgent }) }),
  },
  {
    method: "POST",
    path: "/auth/refresh",
    handler: async ({ core, body }) => ({ body: await service.refresh(core, refreshInput.parse(body).refreshToken) }),
  },
  {
    method: "POST",
    path: "/auth/logout",
    handler: async ({ core, body }) => ({ body: await service.logout(core, refreshInput.parse(body).refreshToken) }),
  },
  { method: "GET", path: "/auth/me", handler: async ({ principal }) => ({ body: service.me(await principal()) }) },
  { method: "GET", path: "/auth/mode", handler: async ({ core }) => ({ body: await service.mode(core) }) },
  {
    method: "GET",
    path: "/users",
    handler: async ({ core, principal }) => {
      await principal();
      return { body: await service.listUsers(core) };
    },
  },
  { method: "GET", path: "/users/details", handler: async ({ core, principal }) => ({ body: await service.listUserDetails(core, await principal()) }) },
  {
    method: "DELETE",
    path: "/users/:id",
    handler: async ({ core, principal, params }) => {
      await service.deleteUser(core, await principal(), uuid.parse(params.id));
      return { body: { message: "user deleted" } };
    },
  },
  {
    method: "POST",
    path: "/users/:id/password",
    handler: async ({ core, principal, params, body }) => {
      await service.resetPassword(core, await principal(), uuid.parse(params.id), passwordResetInput.parse(body).password);
      return { body: { message: "password reset; the user's sessions have ended" } };
    },
  },
  {
    method: "POST",
    path: "/users/:id/disable",
    handler: async ({ core, principal, params }) => {
      await service.setDisabled(core, await principal(), uuid.parse(params.id), true);
      return { body: { message: "user disabled" } };
    },
  },
  {
    method: "POST",
    path: "/users/:id/enable",
    handler: async ({ core, principal, params }) => {
      await service.setDisabled(core, await principal(), uuid.parse(params.id), false);
      return { body: { message: "user enabled" } };
    },
  },
  {
    method: "GET",
    path: "/users/:id/sessions",
    handler: async ({ core, principal, params }) => ({ body: await service.listSessions(core, await principal(), uuid.parse(params.id)) }),
  },
  {
    method: "DELETE",
    path: "/users/:id/sessions/:sessionId",
    handler: async ({ core, principal, params }) => {
      await service.revokeSession(core, await principal(), uuid.parse(params.id), uuid.parse(params.sessionId));
      return { body: { message: "session revoked" } };
    },
  },
];

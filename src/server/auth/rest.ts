import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { messageResult } from "../openapi/common.ts";
import { authMode, loginInput, loginResult, passwordResetInput, refreshInput, refreshResult, registerInput, sessionDto, userDetailsDto, userDto, uuid } from "./schema.ts";
import { assertPersonActs } from "../identities/no-escalation.ts";
import * as service from "./service.ts";

const authTags = ["auth"];
const userTags = ["users"];
const userParams = z.object({ id: uuid });

export const authRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/auth/register",
    schemas: { body: registerInput },
    docs: {
      summary: "Create an account",
      description: "Public while registration is open (or no user exists yet); otherwise an administrator's bearer token is needed, and the administrator is recorded as the creator.",
      tags: authTags,
      auth: "none",
      responses: { 201: z.object({ user: userDto }) },
    },
    handler: async ({ core, input, ip, userAgent, raw, principal }) => {
      // Registration is public; a signed-in caller (an administrator adding someone) is the audit's actor.
      const creator = raw.headers.authorization ? await principal().catch(() => null) : null;
      // A key must not give itself a person whose password it chose (sign-up closed lets only admins add people).
      if (creator) assertPersonActs(creator, "create a person's account with a password");
      const createdBy = creator?.userId ?? null;
      return { status: 201, body: { user: await service.register(core, input.body, { ip, userAgent, createdBy }) } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/auth/login",
    schemas: { body: loginInput },
    docs: { summary: "Sign in with e-mail and password", tags: authTags, auth: "none", responses: { 200: loginResult, 401: { description: "Wrong e-mail or password (the same answer for both)." } } },
    handler: async ({ core, input, ip, userAgent }) => ({ body: await service.login(core, input.body, { ip, userAgent }) }),
  }),
  defineRoute({
    method: "POST",
    path: "/auth/refresh",
    schemas: { body: refreshInput },
    docs: { summary: "A new access token for a refresh token", tags: authTags, auth: "none", responses: { 200: refreshResult, 401: { description: "The refresh token is unknown, expired, revoked or already used." } } },
    handler: async ({ core, input }) => ({ body: await service.refresh(core, input.body.refreshToken) }),
  }),
  defineRoute({
    method: "POST",
    path: "/auth/logout",
    schemas: { body: refreshInput },
    docs: { summary: "End the session of a refresh token", tags: authTags, auth: "none", responses: { 200: messageResult } },
    handler: async ({ core, input }) => ({ body: await service.logout(core, input.body.refreshToken) }),
  }),
  defineRoute({
    method: "GET",
    path: "/auth/me",
    docs: { summary: "The signed-in caller", tags: authTags, responses: { 200: userDto } },
    handler: async ({ principal }) => ({ body: service.me(await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/auth/mode",
    docs: { summary: "How this Core signs people in: password, magic links, SSO providers, open registration", tags: authTags, auth: "none", responses: { 200: authMode } },
    handler: async ({ core }) => ({ body: await service.mode(core) }),
  }),
  defineRoute({
    method: "GET",
    path: "/users",
    docs: { summary: "Every user (id, e-mail, display name)", tags: userTags, responses: { 200: z.array(userDto) } },
    handler: async ({ core, principal }) => {
      await principal();
      return { body: await service.listUsers(core) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/details",
    docs: { summary: "Every user with roles, state and session count (admin)", tags: userTags, responses: { 200: z.array(userDetailsDto) } },
    handler: async ({ core, principal }) => ({ body: await service.listUserDetails(core, await principal()) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/users/:id",
    schemas: { params: userParams },
    docs: { summary: "Delete a user (admin)", tags: userTags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      await service.deleteUser(core, await principal(), input.params.id);
      return { body: { message: "user deleted" } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/users/:id/password",
    schemas: { params: userParams, body: passwordResetInput },
    docs: { summary: "Set a user's password (admin); the user's sessions end", tags: userTags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      await service.resetPassword(core, await principal(), input.params.id, input.body.password);
      return { body: { message: "password reset; the user's sessions have ended" } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/users/:id/disable",
    schemas: { params: userParams },
    docs: { summary: "Disable a user (admin): sign-in refused, sessions ended", tags: userTags, requestBody: "none", responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      await service.setDisabled(core, await principal(), input.params.id, true);
      return { body: { message: "user disabled" } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/users/:id/enable",
    schemas: { params: userParams },
    docs: { summary: "Enable a disabled user (admin)", tags: userTags, requestBody: "none", responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      await service.setDisabled(core, await principal(), input.params.id, false);
      return { body: { message: "user enabled" } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/users/:id/sessions",
    schemas: { params: userParams },
    docs: { summary: "A user's open sessions (admin, or the user)", tags: userTags, responses: { 200: z.array(sessionDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listSessions(core, await principal(), input.params.id) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/users/:id/sessions/:sessionId",
    schemas: { params: z.object({ id: uuid, sessionId: uuid }) },
    docs: { summary: "End one of a user's sessions", tags: userTags, responses: { 200: messageResult } },
    handler: async ({ core, principal, input }) => {
      await service.revokeSession(core, await principal(), input.params.id, input.params.sessionId);
      return { body: { message: "session revoked" } };
    },
  }),
];

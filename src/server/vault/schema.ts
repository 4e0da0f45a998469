import { z } from "zod";

export const appId = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "invalid app id" });

/** App secret names are free-form (as in the original) but bounded and free of control characters. */
export const appKeyName = z
  .string()
  .min(1, { message: "key must not be empty" })
  .max(200, { message: "key is too long" })
  .regex(/^[^\u0000-\u001f\u007f]+$/, { message: "key must not contain control characters" });

export const platformKeyName = z
  .string()
  .min(1, { message: "key must not be empty" })
  .max(200, { message: "key is too long" })
  .regex(/^[A-Za-z0-9_]+$/, { message: "platform secret names use letters, digits and underscore only" });

const value = z.string({ message: "value must be a string" }).max(65_536, { message: "value is too long (64 KiB at most)" });

export const appSecretInput = z.object({ key: appKeyName, value });
export const platformSecretInput = z.object({ key: platformKeyName, value });
export const rotateInput = z
  .object({ newKey: z.string().regex(/^[0-9a-fA-F]{64}$/, { message: "newKey must be 64 hexadecimal characters" }).optional() })
  .default({});

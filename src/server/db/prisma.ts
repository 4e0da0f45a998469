import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "../../generated/prisma/client.ts";

export type SystemPrisma = InstanceType<typeof PrismaClient>;

/** The typed client for the system tables, sharing the Core's pool so connection limits stay in one place. */
export function createSystemPrisma(pool: pg.Pool): SystemPrisma {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

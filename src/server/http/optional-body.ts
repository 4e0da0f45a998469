import { z } from "zod";

/**
 * A JSON body that may be left out: a missing (or null) body is read as `{}`, so its fields' own defaults and
 * refusals apply. Documented as an optional request body.
 */
export const optionalBody = <S extends z.ZodType>(schema: S) => z.preprocess((body) => body ?? {}, schema);

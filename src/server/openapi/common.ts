import { z } from "zod";

/** The answer of the routes that only confirm what they did: `{"message": "user deleted"}`. */
export const messageResult = z.object({ message: z.string() }).meta({ id: "Message" });

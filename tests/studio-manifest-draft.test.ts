import { describe, expect, it } from "vitest";
import { parseManifest, FIELD_TYPES as SERVER_FIELD_TYPES, IDENTIFIER as SERVER_IDENTIFIER } from "../src/server/apps/manifest.ts";
import { FIELD_TYPES, IDENTIFIER, linksTo, parseDefault, parseDraft, putField, removeEntity, renameEntity, serialize, type Draft } from "../src/app/applications/schema-editor/manifest-draft.ts";
import { manifestError } from "../src/app/applications/manifest-error.ts";

const draft: Draft = {
  appId: "crm",
  name: "CRM",
  version: "1.0.0",
  indexes: "kept as given",
  dataContract: [
    { entityName: "company", fields: [{ name: "name", type: "text", label: "Company name" }] },
    { entityName: "contact", fields: [{ name: "employer", type: "entity_link", references: { entity: "company" }, on_delete: "cascade" }] },
  ],
};

describe("the Studio's schema editor draft", () => {
  // The Studio cannot import the server's manifest module (zod needs eval, which its CSP refuses): these copies
  // must not drift from it.
  it("offers exactly the server's field types and identifier rule", () => {
    expect([...FIELD_TYPES].sort()).toEqual(Object.keys(SERVER_FIELD_TYPES).sort());
    expect(IDENTIFIER.source).toBe(SERVER_IDENTIFIER.source);
  });

  it("renames an entity together with the links to it, and the result is a valid manifest", () => {
    const renamed = renameEntity(draft, 0, "organisation");
    expect(renamed.dataContract.map((e) => e.entityName)).toEqual(["organisation", "contact"]);
    expect(renamed.dataContract[1]!.fields[0]!.references).toEqual({ entity: "organisation" });
    expect(() => parseManifest(JSON.parse(serialize(renamed)))).not.toThrow();
  });

  it("knows which fields link to an entity (it cannot be removed while they do)", () => {
    expect(linksTo(draft, "company")).toEqual(["contact.employer"]);
    expect(linksTo(removeEntity(draft, 1), "company")).toEqual([]);
  });

  it("keeps the keys the form does not edit", () => {
    const edited = putField(draft.dataContract[0]!, { ...draft.dataContract[0]!.fields[0]!, required: true }, 0);
    expect(edited.fields[0]).toEqual({ name: "name", type: "text", label: "Company name", required: true });
    const parsed = parseDraft(serialize(draft));
    expect("draft" in parsed && parsed.draft.indexes).toBe("kept as given");
  });

  it("reads a default value by the field's type", () => {
    expect(parseDefault("number", "4.5")).toEqual({ value: 4.5 });
    expect(parseDefault("number", "four")).toHaveProperty("problem");
    expect(parseDefault("boolean", "false")).toEqual({ value: false });
    expect(parseDefault("[text]", '["a"]')).toEqual({ value: ["a"] });
    expect(parseDefault("[text]", '"a"')).toHaveProperty("problem");
    expect(parseDefault("text", "")).toEqual({ value: undefined });
    expect(parseDefault("text", " 41")).toEqual({ value: " 41" });
  });

  it("says what keeps the form from showing a manifest", () => {
    expect(parseDraft("{")).toHaveProperty("problem");
    expect(parseDraft('{"dataContract": {}}')).toEqual({ problem: "dataContract must be a list of entities." });
    expect(parseDraft("")).toEqual({ draft: { appId: "", name: "", version: "1.0.0", dataContract: [] } });
  });

  it("names the entity and field of a server error by their names", () => {
    const err = new Error('dataContract[1].fields[0].references.entity: unknown entity "firm"; dataContract[0].entityName: duplicate entity "company"');
    expect(manifestError(err, draft)).toBe('Field contact.employer (references.entity): unknown entity "firm". Entity company (entityName): duplicate entity "company".');
    expect(manifestError(new Error("the manifest must be a JSON object"), draft)).toBe("The manifest must be a JSON object.");
  });
});

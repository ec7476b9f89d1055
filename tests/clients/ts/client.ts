// A small client written against the types openapi-typescript generates from
// the served schema (./api.ts, written by tests/clients/test_typescript.py).
// It must pass `tsc --strict`: the schema's shapes are what a client compiles
// against (typed reasons and components, arrays of strings for filters, a
// nullable date in a JSON PATCH).
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type ProgrammeQuery = NonNullable<
  paths["/api/v1/programmes/"]["get"]["parameters"]["query"]
>;
type ProgrammePage =
  paths["/api/v1/programmes/"]["get"]["responses"][200]["content"]["application/json"];
type Error = Schemas["Error"];

export class Client {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = (await response.json()) as Error;
      throw new globalThis.Error(`${error.error.status}: ${error.error.message}`);
    }
    return (await response.json()) as T;
  }

  async programmes(query: ProgrammeQuery): Promise<Schemas["Programme"][]> {
    const found: Schemas["Programme"][] = [];
    for (let page = 1; ; page++) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...query, page })) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (item !== undefined) params.append(name, String(item));
        }
      }
      const body = await this.call<ProgrammePage>("GET", `/api/v1/programmes/?${params}`);
      found.push(...body.results);
      if (!body.next) return found;
    }
  }

  createNeed(need: Schemas["NeedRequest"]): Promise<Schemas["Need"]> {
    return this.call("POST", "/api/v1/needs/", need);
  }

  clearNeededBy(ref: string): Promise<Schemas["Need"]> {
    const patch: Schemas["PatchedNeedRequest"] = { needed_by: null };
    return this.call("PATCH", `/api/v1/needs/${ref}/`, patch);
  }

  async reasons(ref: string): Promise<string[]> {
    const page = await this.call<Schemas["PaginatedNestedMatchList"]>(
      "GET",
      `/api/v1/needs/${ref}/matches/`,
    );
    return page.results.flatMap((match: Schemas["Match"]) => {
      const topic: number | null | undefined = match.components.topic;
      return match.reasons.map(
        (reason: Schemas["Reason"]) => `${reason.code} ${reason.text} ${topic ?? "-"}`,
      );
    });
  }

  createToken(name: string): Promise<Schemas["ApiTokenCreated"]> {
    const body: Schemas["ApiTokenCreateRequest"] = { name, scope: "read" };
    return this.call("POST", "/api/v1/tokens/", body);
  }
}

export async function journey(client: Client): Promise<number> {
  const programmes = await client.programmes({
    theme: ["cybercrime", "incident-response"],
    language: ["en", "fr"],
    page_size: 50,
  });
  const need = await client.createNeed({
    country: "SEN",
    title: "A national CSIRT",
    summary: "Help to set up an incident response team.",
    topics: ["csirt-establishment"],
    languages: ["en"],
    needed_by: "2027-06-30",
  });
  await client.clearNeededBy(need.ref);
  const reasons = await client.reasons(need.ref);
  return programmes.length + reasons.length;
}

import type { XledgerClient } from './client';
import type { QueryPart } from './merge-queries';

/**
 * The first requests of several clients sent as one (Xledger charges per request): a run of a
 * data type reads its streams side by side, each with a client whose first request joins the
 * batch; once every member has joined — or left without a request — the parts go out in one
 * document (XledgerClient.requestMerged) and each member gets its own answer or error (a
 * member whose answer another part's error took with it is sent again alone). After that every
 * member's requests go out on their own.
 *
 * A member must join or leave: the batch waits for all of them (the caller leaves a member in
 * a `finally`). A lone part is sent as it is.
 */
export class RequestBatch {
  private readonly waiting: Array<{
    client: XledgerClient;
    part: QueryPart;
    resolve: (data: Record<string, unknown>) => void;
    reject: (error: unknown) => void;
  }> = [];
  private outstanding: number;

  constructor(members: number) {
    this.outstanding = members;
  }

  /** One member's place: it joins with its first request, or leaves. */
  slot(): BatchSlot {
    let open = true;
    const arrive = () => {
      open = false;
      this.outstanding -= 1;
      if (this.outstanding === 0) void this.send();
    };
    return {
      get open() {
        return open;
      },
      join: (client, part) =>
        new Promise((resolve, reject) => {
          if (!open) throw new Error('this member of the request batch has already joined or left');
          this.waiting.push({ client, part, resolve, reject });
          arrive();
        }),
      leave: () => {
        if (open) arrive();
      },
    };
  }

  private async send(): Promise<void> {
    const members = this.waiting.splice(0);
    const sender = members[0]?.client;
    if (!sender) return;
    try {
      const outcomes = await sender.requestMerged(members.map((member) => member.part));
      members.forEach((member, index) => {
        const outcome = outcomes[index]!;
        if ('error' in outcome) member.reject(outcome.error);
        else if ('alone' in outcome) {
          // Another part's error took the answer with it: this part goes again, on its own.
          member.client
            .request<Record<string, unknown>>(member.part.document, member.part.variables)
            .then(member.resolve, member.reject);
        } else member.resolve(outcome.data);
      });
    } catch (error) {
      for (const member of members) member.reject(error);
    }
  }
}

export interface BatchSlot {
  /** Neither joined nor left yet: the next request joins. */
  readonly open: boolean;
  join(client: XledgerClient, part: QueryPart): Promise<Record<string, unknown>>;
  leave(): void;
}

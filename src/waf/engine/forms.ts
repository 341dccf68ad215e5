/**
 * A value as rules see it: the text, what the literal index found in it, and the value after
 * each transformation-chain prefix. CRS runs the same few chains over the same values in hundreds
 * of rules; a Form answers each (chain, literal) question once.
 */
export class Form {
  readonly text: string;
  /** RuleSet.literals.scan(text), on first use. */
  hits: Uint32Array | undefined = undefined;
  /** Bit per RuleOperator.memoSlot: that operator was run on this text and did not match. */
  misses: Uint32Array | undefined = undefined;
  /**
   * The form of this text after each chain prefix, by Rule.transformationIds: filled only on the
   * form of a raw value (a transformed form is reached from its raw value, not from itself).
   */
  readonly next: (Form | undefined)[] = [];

  constructor(text: string) {
    this.text = text;
  }
}

/** Header values and names longer than this are not kept across transactions. */
export const MAX_SHARED_TEXT = 1024;

/**
 * Forms of request-header values and names kept across transactions, per rule set. Headers
 * repeat from request to request (User-Agent, Accept, a session's token or cookie), and what a
 * chain and the literal index make of a text depends on the text alone. Two generations of at
 * most `limit` texts each: when the current one is full it becomes the previous one and the
 * older is dropped, so memory stays bounded whatever clients send.
 */
export class FormCache {
  readonly #limit: number;
  #current = new Map<string, Form>();
  #previous = new Map<string, Form>();

  constructor(limit = 1024) {
    this.#limit = limit;
  }

  /** The cached form of `text`, or a new one, cached. */
  formOf(text: string): Form {
    let form = this.#current.get(text);
    if (form !== undefined) return form;
    form = this.#previous.get(text) ?? new Form(text);
    if (this.#current.size >= this.#limit) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(text, form);
    return form;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}

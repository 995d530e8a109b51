import { MessageType, type RequestStripMessage, type StripResultMessage } from '../src/protocol';

/**
 * Request ids (hexeditor's MessageHandler pattern): every request the webview sends for an answer
 * (a strip, a diff) carries an id the host echoes, so a reply is matched to its request and an
 * answer to an earlier one, arriving late, is dropped.
 */

/** Ids of one kind of request: each request takes the next; only the answer to the latest is current. */
export class LatestRequest {
  private id = 0;

  next(): number {
    return ++this.id;
  }

  /** False for the answer to an earlier request, which arrived late. */
  isCurrent(id: number): boolean {
    return id === this.id;
  }
}

/**
 * The strip's requests to the extension host and which answer to draw. Answers can arrive out of
 * order (the strip of a big dump takes longer than the next one's): only the answer to the latest
 * request is drawn, so a late answer never replaces the sample the user picked after it.
 */
export class StripRequests {
  private readonly ids = new LatestRequest();
  private source: string | undefined;

  constructor(
    private readonly post: (m: RequestStripMessage) => void,
    private readonly draw: (m: StripResultMessage) => void,
  ) {}

  /** The sample last asked for (undefined after reset()). */
  get asked(): string | undefined {
    return this.source;
  }

  /** Asks for the strip of `source`; every answer to an earlier request is stale from now on. */
  ask(source: string): void {
    this.source = source;
    this.post({ type: MessageType.RequestStrip, id: this.ids.next(), source });
  }

  /** Forgets the sample asked for, so that it is asked again (the host re-sent its samples). */
  reset(): void {
    this.source = undefined;
  }

  /** Draws an answer only when it answers the latest request. */
  onResult(m: StripResultMessage): void {
    if (this.ids.isCurrent(m.id)) this.draw(m);
  }
}

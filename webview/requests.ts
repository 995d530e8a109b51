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

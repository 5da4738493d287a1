import assert from "node:assert/strict";
import { test } from "node:test";

import { LegionError } from "../src/errors.js";
import { events, readEvents, streamError } from "../src/events.js";

/** A Response whose body arrives in the given pieces (split anywhere, even mid-line). */
function streamed(pieces, { cutAfter } = {}) {
  const encoder = new TextEncoder();
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (cutAfter !== undefined && sent === cutAfter) {
        controller.error(new TypeError("network error"));
        return;
      }
      if (sent === pieces.length) return controller.close();
      controller.enqueue(encoder.encode(pieces[sent++]));
    },
  });
  return new Response(body);
}

test("events keep their ids and end at [DONE], wherever the chunks split", async () => {
  const text = 'id: 1\ndata: {"type":"user_message"}\n\nid: 2\r\ndata: {"a":\ndata: 1}\n\ndata: [DONE]\n\nid: 9\ndata: late\n\n';
  for (const size of [1, 3, 7, text.length]) {
    const pieces = [];
    for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
    const seen = [];
    for await (const event of events(streamed(pieces))) seen.push(event);
    assert.deepEqual(seen, [
      { data: '{"type":"user_message"}', id: "1" },
      { data: '{"a":\n1}', id: "2" },
    ]);
  }
});

test("readEvents calls back with data and id", async () => {
  const seen = [];
  await readEvents(streamed(["data: x\n\n", "id: 3\ndata: y\n\n"]), (data, id) => seen.push([data, id]));
  assert.deepEqual(seen, [["x", null], ["y", "3"]]);
});

test("a cut connection is a LegionError network_error", async () => {
  const reading = (async () => {
    for await (const event of events(streamed(["data: a\n\n", "data: b"], { cutAfter: 1 }))) void event;
  })();
  await assert.rejects(reading, (error) => error instanceof LegionError && error.code === "network_error");
});

test("error events become LegionErrors with the server's code", () => {
  const error = streamError({ error: { message: "Overloaded", type: "api_error", code: "upstream_overloaded" } });
  assert.ok(error instanceof LegionError);
  assert.equal(error.code, "upstream_overloaded");
  assert.equal(streamError({ choices: [] }), null);
});

import { LegionError } from "./errors.js";

/**
 * Server-sent events over fetch, as an async iterator of {data, id} until [DONE]. A
 * connection that breaks is LegionError network_error.
 */
export async function* events(response) {
  var reader = response.body.getReader();
  var decoder = new TextDecoder();
  var buffer = "";
  var data = [];
  var id = null;
  try {
    for (;;) {
      var chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new LegionError("The stream was cut.", "network_error");
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        var line = buffer.slice(0, end).replace(/\r$/, "");
        buffer = buffer.slice(end + 1);
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + (line.charAt(colon + 1) === " " ? 2 : 1));
        if (field === "data") data.push(value);
        else if (field === "id") id = value;
        else if (line === "" && data.length) {
          var payload = data.join("\n");
          data = [];
          if (payload === "[DONE]") return;
          yield { data: payload, id: id };
          id = null;
        }
      }
    }
    if (data.length && data.join("\n") !== "[DONE]") yield { data: data.join("\n"), id: id };
  } finally {
    reader.cancel().catch(function () {});
  }
}

/** The same, calling onData(data, id) for each event (the widget's and the chat page's way). */
export async function readEvents(response, onData) {
  for await (var event of events(response)) onData(event.data, event.id);
}

/** An error event's LegionError, if the payload is one ({"error": {...}} or §11's). */
export function streamError(parsed) {
  var error = parsed && parsed.error;
  if (!error) return null;
  return new LegionError(error.message || String(error), error.code || "upstream_error", 0);
}

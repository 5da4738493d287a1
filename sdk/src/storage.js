/**
 * localStorage and sessionStorage that may be missing or throw (private modes, blocked
 * cookies, a full quota): what can't be stored is kept in memory instead, so a session
 * then lasts as long as the page.
 */
export var PREFIX = "legionchat:";
var unstored = {};

export function read(store, key) {
  if (Object.prototype.hasOwnProperty.call(unstored, store + key)) return unstored[store + key];
  try {
    var raw = window[store].getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch (e) {
    return null;
  }
}

export function write(store, key, value) {
  try {
    if (value == null) window[store].removeItem(key);
    else window[store].setItem(key, JSON.stringify(value));
    delete unstored[store + key];
  } catch (e) {
    unstored[store + key] = value == null ? null : value;
  }
}

/** The keys that start with prefix, in the store and in memory. */
export function keysWith(store, prefix) {
  var keys = [];
  try {
    var storage = window[store];
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key && key.indexOf(prefix) === 0) keys.push(key);
    }
  } catch (e) {
    /* no usable storage: only what is kept in memory */
  }
  Object.keys(unstored).forEach(function (name) {
    var key = name.slice(store.length);
    if (name.indexOf(store) === 0 && key.indexOf(prefix) === 0 && keys.indexOf(key) < 0) keys.push(key);
  });
  return keys;
}

/** The storage key of one kind of record for one server and client. */
export function keyFor(serverUrl, clientId, kind) {
  return PREFIX + kind + ":" + serverUrl + "|" + clientId;
}

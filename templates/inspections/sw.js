{% load static %}/* The inspector's service worker (issue 18), scope /inspections/.

   - App shell: the site's CSS, the visit page's scripts and the icon, kept in "regulator-shell-<version>".
   - Offline data: the pages the server lists for this inspector ({% url 'inspections:offline_list' %}: the today list,
     their own open visits of the next days and those visits' photos), kept in "regulator-data-<user id>". Only
     these URLs are ever kept, one user's at a time; the cache is dropped at logout (static/js/app.js) and when
     the server says the session is gone.
   - Pages are fetched from the network first and fall back to the copy when there is no connection; static files
     come from the shell cache first. Nothing that is not a GET is touched: the outbox (static/js/outbox.js) does
     the writes itself. */
"use strict";
var SHELL = "regulator-shell-{{ shell_version }}";
var DATA_PREFIX = "regulator-data-";
var OFFLINE_LIST = "{% url 'inspections:offline_list' %}";
var SHELL_URLS = {{ shell_json }};
var STATIC_PREFIX = "{% get_static_prefix %}";
var PAGE = /^\/inspections\/(today\/|visits\/\d+\/|evidence\/\d+\/)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("regulator-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function dataCaches() {
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return name.indexOf(DATA_PREFIX) === 0; });
  });
}

function clearData(keep) {
  return dataCaches().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== keep; })
      .map(function (name) { return caches.delete(name); }));
  });
}

// Fetch the list of what this inspector may keep and keep exactly that, one page at a time (a phone on a weak
// connection should not open a dozen at once).
function refresh() {
  return fetch(OFFLINE_LIST, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
    if (response.status === 401 || response.status === 403) { return clearData(null).then(function () { return 0; }); }
    if (!response.ok) { return 0; }
    return response.json().then(function (list) {
      var name = DATA_PREFIX + list.user;
      return clearData(name).then(function () { return caches.open(name); }).then(function (cache) {
        var wanted = list.urls.map(function (url) { return new URL(url, self.location.origin).href; });
        var chain = Promise.resolve();
        wanted.forEach(function (url) {
          chain = chain.then(function () {
            return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (page) {
              if (page.ok && !page.redirected) { return cache.put(url, page); }
            }).catch(function () { /* kept from last time, if any */ });
          });
        });
        return chain.then(function () { return cache.keys(); }).then(function (keys) {
          return Promise.all(keys.filter(function (request) { return wanted.indexOf(request.url) < 0; })
            .map(function (request) { return cache.delete(request); }));
        }).then(function () { return wanted.length; });
      });
    });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (message) { if (event.source) { event.source.postMessage(message); } };
  if (data.type === "refresh") {
    event.waitUntil(refresh().then(function (count) { reply({type: "refreshed", count: count}); },
      function () { reply({type: "refreshed", count: -1}); }));
  } else if (data.type === "page" && data.url) {
    // The visit page after its outbox was sent: the copy should show what the server now holds.
    event.waitUntil(refreshPage(new URL(data.url, self.location.origin).href));
  } else if (data.type === "clear") {
    event.waitUntil(clearData(null).then(function () { reply({type: "cleared"}); }));
  }
});

function refreshPage(url) {
  return dataCaches().then(function (names) {
    if (!names.length) { return; }
    return caches.open(names[0]).then(function (cache) {
      return cache.match(url, {ignoreVary: true}).then(function (old) {
        if (!old) { return; }
        return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (page) {
          if (page.ok && !page.redirected) { return cache.put(url, page); }
        });
      });
    });
  }).catch(function () { /* offline again: the outbox still holds what the copy lacks */ });
}

function fromData(request) {
  return dataCaches().then(function (names) {
    if (!names.length) { return undefined; }
    return caches.open(names[0]).then(function (cache) { return cache.match(request.url, {ignoreVary: true}); });
  });
}

function pageFirstFromNetwork(request) {
  return fetch(request).then(function (response) {
    // Keep the copy fresh, but only of a page already on the list.
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      dataCaches().then(function (names) {
        if (!names.length) { return; }
        return caches.open(names[0]).then(function (cache) {
          return cache.match(request.url, {ignoreVary: true}).then(function (old) {
            if (old) { return cache.put(request.url, copy); }
          });
        });
      });
    }
    return response;
  }).catch(function (error) {
    return fromData(request).then(function (cached) {
      if (cached) { return cached; }
      throw error;
    });
  });
}

function staticFirstFromCache(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request, {ignoreVary: true}).then(function (cached) {
      if (cached) { return cached; }
      return fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(staticFirstFromCache(request));
  } else if (PAGE.test(url.pathname) && !url.search) {
    event.respondWith(pageFirstFromNetwork(request));
  }
});

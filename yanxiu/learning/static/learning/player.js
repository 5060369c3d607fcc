/* Yanxiu video player: plays HLS (hls.js, or natively on iOS) and reports what was watched.
 *
 * The player sends heartbeats: numbered segments [start, end) of media time actually played.
 * The server counts the union of those seconds, capped by wall time, so seeking, replaying or
 * fast playback earn nothing extra. Beats are queued in localStorage and sent in a batch, so a
 * lost network loses nothing; sequence numbers make a retried batch count once. Starting to play
 * here stops any other window or device of the same learner from counting (the server answers
 * 409 to the other one, which pauses with a message). No "are you still there" pop-ups.
 */
(function () {
  "use strict";
  var video = document.getElementById("player");
  if (!video) return;
  var cfg = JSON.parse(document.getElementById("player-config").textContent);
  var message = document.getElementById("player-message");
  var watchedEl = document.getElementById("watched");
  var stateEl = document.getElementById("activity-state");
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { /* no token */ }

  var playback = null;      // id of the playback that counts, from the server
  var starting = null;      // the pending start request
  var seq = 0;
  var segStart = null;      // media time where the current contiguous segment began
  var lastTime = 0;
  var queue = [];
  var sending = false;
  var superseded = false;
  var passedCheckpoints = {};
  var asking = null;
  var tab = Math.random().toString(36).slice(2);
  var channel = window.BroadcastChannel ? new BroadcastChannel("yanxiu-playback") : null;
  var storeKey = "yanxiu-heartbeats";

  function show(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + (kind || "info");
  }
  function hide() { message.className = "alert d-none"; }

  // --- Media ----------------------------------------------------------------------------------
  var startAt = parseFloat(document.getElementById("player-position").dataset.position || "0");
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = cfg.playlist;
  } else if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls();
    hls.loadSource(cfg.playlist);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.ERROR, function (_e, data) {
      if (data.fatal) show("视频加载失败，请检查网络后刷新页面。", "warning");
    });
  } else {
    show("当前浏览器无法播放此视频，请更换浏览器。", "warning");
  }
  video.addEventListener("loadedmetadata", function () {
    if (startAt > 0 && startAt < video.duration - 3) video.currentTime = startAt;
    lastTime = video.currentTime;
  }, { once: true });

  // --- Queue and sending ----------------------------------------------------------------------
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify({ playback: playback, beats: queue })); } catch (e) { /* private mode */ }
  }
  function restore() {
    // Beats a previous page could not send (network lost, page closed) are sent now.
    try {
      var old = JSON.parse(localStorage.getItem(storeKey) || "null");
      localStorage.removeItem(storeKey);
      if (old && old.playback && old.beats && old.beats.length) send(old.playback, old.beats);
    } catch (e) { /* ignore */ }
  }
  function post(url, body, json) {
    var headers = { "X-CSRFToken": csrf };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
  }
  function send(id, beats) {
    return post(cfg.heartbeat, JSON.stringify({ playback: id, beats: beats }), true);
  }

  function beat(event) {
    if (superseded) return;
    var t = video.currentTime;
    var start = segStart === null ? t : segStart;
    queue.push({ seq: seq++, start: start, end: Math.max(start, t), position: t, event: event, at: Date.now() });
    segStart = video.paused || video.seeking ? null : t;
    save();
  }

  function flush() {
    if (sending || !playback || !queue.length || superseded) return;
    var batch = queue.slice(0, 500);
    sending = true;
    send(playback, batch).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (r) {
      sending = false;
      if (r.status === 200) {
        queue = queue.slice(batch.length);
        save();
        update(r.data);
        if (queue.length) flush();
      } else if (r.status === 409) {
        stopCounting(r.data.message);
      } else {
        queue = queue.slice(batch.length);
        save();
        show(r.data.message || "进度保存失败。", "warning");
      }
    }).catch(function () {
      sending = false;  // offline: keep the queue, send when the network returns
      show("网络已断开，观看进度会在网络恢复后自动保存。", "secondary");
    });
  }

  function update(data) {
    if (message.classList.contains("alert-secondary")) hide();
    if (data.seconds_watched !== undefined && (cfg.duration || video.duration)) {
      var d = cfg.duration || video.duration;
      watchedEl.textContent = Math.min(100, Math.floor(100 * data.seconds_watched / d));
    }
    if (data.completed) {
      stateEl.textContent = "已完成";
      stateEl.className = "badge text-bg-success";
    }
    if (data.passed && !cfg.passedShown) {
      cfg.passedShown = true;
      show("恭喜！本课程已通过。", "success");
    }
  }

  function stopCounting(text) {
    superseded = true;
    playback = null;
    queue = [];
    save();
    video.pause();
    show(text || "您已在其他窗口或设备开始播放，此处已暂停。", "warning");
    var again = document.createElement("button");
    again.className = "btn btn-sm btn-primary ms-2";
    again.type = "button";
    again.textContent = "在此继续播放";
    again.addEventListener("click", function () { superseded = false; hide(); video.play(); });
    message.appendChild(again);
  }

  function start() {
    if (playback) return Promise.resolve();
    if (!starting) {
      starting = post(cfg.start, "", false).then(function (response) {
        return response.json().then(function (data) {
          starting = null;
          if (response.status !== 200) {
            video.pause();
            show(data.message || "无法开始播放。", "warning");
            return;
          }
          playback = data.playback;
          cfg.duration = data.duration;
          (data.checkpoints_passed || []).forEach(function (id) { passedCheckpoints[id] = true; });
          if (channel) channel.postMessage({ type: "playing", tab: tab });
          flush();
        });
      }).catch(function () { starting = null; show("网络异常，请稍后再试。", "warning"); });
    }
    return starting;
  }

  // --- Player events --------------------------------------------------------------------------
  video.addEventListener("play", function () {
    if (superseded) return;
    segStart = video.currentTime;
    start().then(function () { beat("play"); flush(); });
  });
  video.addEventListener("pause", function () {
    if (video.ended || superseded) return;
    beat("pause");
    flush();
  });
  video.addEventListener("seeking", function () {
    // The segment played so far ended where playback was before the jump.
    if (segStart !== null && playback) {
      var t = lastTime;
      queue.push({ seq: seq++, start: segStart, end: Math.max(segStart, t), position: video.currentTime, event: "seek", at: Date.now() });
      save();
    }
    segStart = null;
  });
  video.addEventListener("seeked", function () {
    lastTime = video.currentTime;
    if (!video.paused) segStart = video.currentTime;
  });
  video.addEventListener("timeupdate", function () {
    var t = video.currentTime;
    if (!video.seeking) lastTime = t;
    if (segStart === null && !video.paused && !video.seeking) segStart = t;
    checkCheckpoints(t);
  });
  video.addEventListener("ended", function () {
    beat("ended");
    flush();
  });
  setInterval(function () {
    if (!video.paused && !superseded && playback) { beat("tick"); flush(); }
    else if (queue.length) flush();
  }, Math.max(1, cfg.interval) * 1000);
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && playback && !superseded) {
      if (!video.paused) beat("tick");
      if (queue.length && navigator.sendBeacon) {
        var body = new Blob([JSON.stringify({ playback: playback, beats: queue })], { type: "application/json" });
        if (navigator.sendBeacon(cfg.heartbeat, body)) { /* kept in localStorage too, in case */ }
      }
    }
  });
  if (channel) {
    channel.onmessage = function (event) {
      // Another tab of this browser started playing: pause at once (the server agrees).
      if (event.data && event.data.type === "playing" && event.data.tab !== tab && !video.paused) {
        beat("pause");
        flush();
        stopCounting();
      }
    };
  }

  // --- Checkpoint questions -------------------------------------------------------------------
  var box = document.getElementById("checkpoint");
  var form = document.getElementById("checkpoint-form");
  var feedback = document.getElementById("checkpoint-feedback");
  function checkCheckpoints(t) {
    if (asking) return;
    for (var i = 0; i < cfg.checkpoints.length; i++) {
      var cp = cfg.checkpoints[i];
      if (!passedCheckpoints[cp.id] && t >= cp.at) { ask(cp); return; }
    }
  }
  function ask(cp) {
    asking = cp;
    video.pause();
    document.getElementById("checkpoint-question").textContent = cp.question;
    var choices = document.getElementById("checkpoint-choices");
    choices.textContent = "";
    cp.choices.forEach(function (text, index) {
      var id = "cp-" + cp.id + "-" + index;
      var wrap = document.createElement("div");
      wrap.className = "form-check";
      var input = document.createElement("input");
      input.className = "form-check-input"; input.type = "radio"; input.name = "choice"; input.value = index; input.id = id;
      var label = document.createElement("label");
      label.className = "form-check-label"; label.htmlFor = id; label.textContent = text;
      wrap.appendChild(input); wrap.appendChild(label); choices.appendChild(wrap);
    });
    feedback.textContent = "";
    box.classList.remove("d-none");
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var picked = form.querySelector("input[name=choice]:checked");
    if (!picked) { feedback.textContent = "请选择一个选项。"; return; }
    var data = new URLSearchParams();
    data.set("choice", picked.value);
    fetch(cfg.checkpoint + asking.id + "/", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" }, body: data
    }).then(function (r) { return r.json(); }).then(function (result) {
      if (result.correct) {
        passedCheckpoints[asking.id] = true;
        asking = null;
        box.classList.add("d-none");
        if (result.completed) update({ completed: true });
        video.play();
      } else {
        feedback.textContent = result.message || "回答不正确，请再想一想。";
      }
    }).catch(function () { feedback.textContent = "网络异常，请稍后再试。"; });
  });

  restore();
})();

// The Imports page: drop zone, XHR upload with progress, live import progress
// by Server-Sent Events (polling when EventSource fails), summary, retry,
// cancel. The page follows the job given in data-job (the running import,
// or ?job=<id>), so a reload reattaches to it.
(function () {
  "use strict";

  var TERMINAL = { completed: true, failed: true, cancelled: true };
  var POLL_MS = 1000;

  function $(id) { return document.getElementById(id); }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var body = document.body.getAttribute("hx-headers");
    try { return JSON.parse(body)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function number(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US");
  }

  function bytes(value) {
    if (value < 1024) return value + " B";
    if (value < 1024 * 1024) return (value / 1024).toFixed(0) + " KB";
    if (value < 1024 * 1024 * 1024) return (value / 1024 / 1024).toFixed(1) + " MB";
    return (value / 1024 / 1024 / 1024).toFixed(2) + " GB";
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    var minutes = Math.floor(seconds / 60);
    return minutes + " min " + Math.round(seconds % 60) + " s";
  }

  function timeLeft(seconds) {
    if (seconds < 60) return Math.max(1, Math.ceil(seconds)) + " s";
    return Math.floor(seconds / 60) + " min " + Math.round(seconds % 60) + " s";
  }

  function setBar(bar, percent, kind) {
    bar.setAttribute("aria-valuenow", String(Math.round(percent)));
    bar.classList.toggle("progress-success", kind === "success");
    bar.classList.toggle("progress-danger", kind === "danger");
    bar.querySelector(".progress-bar").style.width = Math.max(0, Math.min(100, percent)) + "%";
  }

  function init() {
    var app = $("import-app");
    if (!app) return;
    var input = $("import-file");
    var dropzone = $("import-dropzone");
    var maxBytes = Number(app.getAttribute("data-max-bytes")) || 0;
    var state = { job: null, source: null, pollTimer: null, samples: [], phase: null };

    function refreshHistory() {
      if (window.htmx) {
        window.htmx.ajax("GET", app.getAttribute("data-history-url"), { target: "#import-history", swap: "innerHTML" });
      }
    }

    // --- Following a job ---------------------------------------------------
    function stopFollowing() {
      if (state.source) { state.source.close(); state.source = null; }
      if (state.pollTimer) { clearTimeout(state.pollTimer); state.pollTimer = null; }
    }

    function rateAndEta(job) {
      var now = Date.now() / 1000;
      if (job.phase !== state.phase) { state.samples = []; state.phase = job.phase; }
      state.samples.push({ t: now, rows: job.processed_records || 0, progress: job.progress || 0 });
      while (state.samples.length > 2 && now - state.samples[0].t > 6) state.samples.shift();
      var first = state.samples[0];
      var last = state.samples[state.samples.length - 1];
      var span = last.t - first.t;
      if (span < 0.8) return { rate: null, eta: null };
      var rate = (last.rows - first.rows) / span;
      var progressRate = (last.progress - first.progress) / span;
      var eta = progressRate > 0 ? (100 - last.progress) / progressRate : null;
      return { rate: rate > 0 ? rate : null, eta: eta };
    }

    function render(job) {
      state.job = job;
      $("import-progress").hidden = false;
      $("job-stage").hidden = false;
      $("job-title").textContent = "Import #" + job.id + " · " + job.filename;
      var phase = job.phase_label || job.phase;
      if (job.status === "pending") phase = "Queued";
      if (job.status === "failed") phase = "Import failed: " + (job.error_message || "unknown reason");
      if (job.status === "cancelled") phase = "Cancelled";
      $("job-phase").textContent = phase;

      var kind = job.status === "completed" ? "success" : (job.status === "failed" ? "danger" : null);
      setBar($("job-bar"), job.status === "completed" ? 100 : job.progress, kind);

      var text = "";
      if (!TERMINAL[job.status]) {
        var stats = rateAndEta(job);
        if (job.total_records !== null && job.phase === "importing") {
          text = number(job.processed_records) + " of " + number(job.total_records) + " rows";
        } else if (job.processed_records) {
          text = number(job.processed_records) + " rows read";
        }
        if (stats.rate) text += " · " + number(Math.round(stats.rate)) + " rows/s";
        if (stats.eta !== null && stats.eta < 36000) text += " · about " + timeLeft(stats.eta) + " left";
      }
      $("job-text").textContent = text;
      var message = "";
      if (job.phase === "waiting" || job.status === "pending" || job.message === "Cancelling…") message = job.message;
      $("job-message").textContent = message;

      var error = $("job-error");
      error.hidden = job.status !== "failed";
      error.textContent = job.status === "failed" ? job.error_message : "";

      var warnings = $("job-warnings");
      warnings.innerHTML = "";
      (job.warnings || []).forEach(function (warning) {
        var item = document.createElement("li");
        item.textContent = warning;
        warnings.appendChild(item);
      });
      warnings.hidden = !(job.warnings && job.warnings.length);

      var summary = $("job-summary");
      summary.hidden = job.status !== "completed";
      if (job.status === "completed") {
        $("summary-created").textContent = number(job.created_count);
        $("summary-updated").textContent = number(job.updated_count);
        $("summary-unchanged").textContent = number(job.unchanged_count);
        $("summary-invalid").textContent = number(job.invalid_count);
        $("summary-duration").textContent = duration(job.duration_seconds);
      }
      var errorsLink = $("job-errors");
      errorsLink.hidden = !job.errors_url;
      if (job.errors_url) errorsLink.href = job.errors_url;
      $("job-retry").hidden = !(job.status === "failed" || job.status === "cancelled");
      $("job-cancel").hidden = TERMINAL[job.status] === true;
    }

    function finished(job) {
      stopFollowing();
      render(job);
      refreshHistory();
      if (job.status === "completed") {
        window.showToast("Import #" + job.id + " complete: " + number(job.created_count) + " created, " + number(job.updated_count) + " updated", "success");
      } else if (job.status === "failed") {
        window.showToast("Import #" + job.id + " failed", "error");
      }
    }

    function poll(job) {
      state.pollTimer = setTimeout(function () {
        fetch(job.status_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
          .then(function (fresh) {
            if (state.job && state.job.id !== fresh.id) return;
            if (TERMINAL[fresh.status]) { finished(fresh); } else { render(fresh); poll(fresh); }
          })
          .catch(function () { poll(job); });
      }, POLL_MS);
    }

    function follow(job) {
      stopFollowing();
      state.samples = [];
      render(job);
      if (TERMINAL[job.status]) return;
      if (!window.EventSource) { poll(job); return; }
      var source = new EventSource(job.events_url);
      var streamed = false;
      state.source = source;
      source.addEventListener("progress", function (event) {
        streamed = true;
        var fresh = JSON.parse(event.data);
        if (!TERMINAL[fresh.status]) render(fresh);
      });
      source.addEventListener("done", function (event) { finished(JSON.parse(event.data)); });
      source.onerror = function () {
        // Under a server that cannot stream, the stream ends after one state:
        // EventSource reconnects by itself. A stream that never delivered,
        // or a closed one, falls back to polling.
        if (!streamed || source.readyState === EventSource.CLOSED) {
          source.close();
          state.source = null;
          if (!state.pollTimer && state.job && !TERMINAL[state.job.status]) poll(state.job);
        }
      };
    }

    // --- Uploading ---------------------------------------------------------
    function upload(file) {
      if (!file) return;
      if (state.job && !TERMINAL[state.job.status]) {
        window.showToast("Import #" + state.job.id + " is still running; the new file will wait for it.", "info");
      }
      if (file.size === 0) { window.showToast("The file " + file.name + " is empty.", "error"); return; }
      if (maxBytes && file.size > maxBytes) {
        window.showToast("The file is " + bytes(file.size) + "; the limit is " + bytes(maxBytes) + ".", "error");
        return;
      }
      stopFollowing();
      $("import-progress").hidden = false;
      $("job-stage").hidden = true;
      $("upload-stage").hidden = false;
      $("upload-filename").textContent = file.name;
      setBar($("upload-bar"), 0);
      $("upload-text").textContent = "0 of " + bytes(file.size);

      var form = new FormData();
      form.append("file", file);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", app.getAttribute("data-upload-url"));
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (!event.lengthComputable) return;
        var percent = (event.loaded / event.total) * 100;
        setBar($("upload-bar"), percent);
        $("upload-text").textContent = bytes(event.loaded) + " of " + bytes(event.total) + " · " + Math.floor(percent) + "%";
      };
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        if (xhr.status === 202) {
          setBar($("upload-bar"), 100, "success");
          $("upload-text").textContent = "Uploaded " + bytes(file.size);
          history.replaceState(null, "", "?job=" + body.id);
          follow(body);
          refreshHistory();
        } else {
          setBar($("upload-bar"), 100, "danger");
          $("upload-text").textContent = body.detail || ("Upload failed (" + xhr.status + ")");
          window.showToast(body.detail || ("Upload failed (" + xhr.status + ")."), "error");
        }
      };
      xhr.onerror = function () {
        setBar($("upload-bar"), 100, "danger");
        $("upload-text").textContent = "The upload was interrupted. Check your connection and try again.";
        window.showToast("The upload was interrupted.", "error");
      };
      xhr.send(form);
    }

    function post(url) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      });
    }

    $("job-retry").addEventListener("click", function () {
      if (!state.job) return;
      post(state.job.retry_url).then(function (result) {
        if (result.status === 202) {
          history.replaceState(null, "", "?job=" + result.body.id);
          follow(result.body);
          refreshHistory();
        } else {
          window.showToast(result.body.detail || "Retry failed.", "error");
        }
      });
    });

    $("job-cancel").addEventListener("click", function () {
      if (!state.job) return;
      if (!window.confirm("Cancel import #" + state.job.id + "? Products it has not committed yet will not change.")) return;
      post(state.job.cancel_url).then(function (result) {
        if (result.status === 202 || result.status === 409) {
          render(result.body);
          if (TERMINAL[result.body.status]) finished(result.body);
        } else {
          window.showToast(result.body.detail || "Cancel failed.", "error");
        }
      });
    });

    input.addEventListener("change", function () {
      upload(input.files[0]);
      input.value = "";
    });
    dropzone.addEventListener("click", function () { input.click(); });
    dropzone.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
    });
    ["dragenter", "dragover"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      dropzone.addEventListener(name, function (event) {
        event.preventDefault();
        dropzone.classList.remove("dropzone-active");
      });
    });
    dropzone.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      if (files && files.length) upload(files[0]);
    });

    var initial = app.getAttribute("data-job");
    if (initial) follow(JSON.parse(initial));
  }

  document.addEventListener("DOMContentLoaded", init);
})();

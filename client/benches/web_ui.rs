//! The web UI benchmark: a workspace of realistic people (100,000 by default, as in the
//! foundation benchmark) served by `kith serve` in-process, and the requests a user waits
//! on, timed from the client side over loopback HTTP (so each number is an upper bound
//! of the server time), against the targets of docs/performance.md.
//!
//! ```text
//! cargo bench -p kith --bench web_ui                     # 100,000 people
//! cargo bench -p kith --bench web_ui -- --records 2000   # a smoke run
//! ```

use std::error::Error;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use kith::sample::{self, Company};
use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, ImportOptions, ImportRow, Workspace};

type Res<T> = Result<T, Box<dyn Error>>;

/// Many threads allocate at once; see docs/adr/0001-mimalloc.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Res<()> {
    let mut records = 100_000usize;
    let mut runs = 15usize;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--records" | "-n" => records = it.next().ok_or("--records needs a number")?.replace('_', "").parse()?,
            "--runs" => runs = it.next().ok_or("--runs needs a number")?.parse::<usize>()?.max(1),
            "--bench" => {}
            other => return Err(format!("unknown argument '{other}' (try --records N --runs R)").into()),
        }
    }
    println!("Kith web UI benchmark: {records} people");
    let dir = tempfile::Builder::new().prefix("kith-web-bench-").tempdir()?;
    let mut ws = Workspace::create(&dir.path().join("ws"), CreateOptions::new("bench"))?;
    let companies = sample::companies(1, (records / 100).clamp(10, 2_000));
    import_companies(&mut ws, &companies)?;
    let refs: Vec<Company> = companies.iter().map(|(c, _)| c.clone()).collect();
    let mut csv = Vec::with_capacity(records * 200);
    sample::write_people_csv(&mut csv, 2, records, &refs)?;
    let options = CsvImportOptions {
        object: "people".into(),
        mappings: Vec::new(),
        strict: false,
        ..CsvImportOptions::default()
    };
    let start = Instant::now();
    let imported = import_csv(&mut ws, csv.as_slice(), &options, &mut |_, _| {})?.imported;
    println!("imported {imported} people in {:.1} s", start.elapsed().as_secs_f64());
    let people = ws.object_named("people")?.id;
    let mut q = kith_core::Query::new(people);
    q.limit = 1;
    let some_person = *ws.query(&q)?.ids.first().ok_or("no people")?;

    let (info_tx, info_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            kith::serve(ws, listener, move |i| drop(info_tx.send(i)), async move {
                let _ = stopped.await;
            })
            .await
            .map(drop)
        })
    });
    let info = info_rx.recv()?;
    let addr = info.addr;

    let table = "/o/people?filter=city+%3D+Berlin&sort=name";
    let rows = [
        ("first page of a filtered, sorted table", table.to_string(), 50.0),
        ("first page of the whole table", "/o/people".to_string(), 50.0),
        ("a record page", format!("/r/{some_person}"), 30.0),
        ("search as you type (\"mar\")", "/api/search?q=mar".to_string(), 50.0),
        (
            "search as you type (\"maria mü\")",
            "/api/search?q=maria+m%C3%BC".to_string(),
            50.0,
        ),
    ];
    println!("\n| request | median | max | target |\n|---|---|---|---|");
    for (what, path, target_ms) in rows {
        let (median, max, _) = measure(runs, || get(addr, &path))?;
        println!("| {what} | {} | {} | ≤ {target_ms} ms |", ms(median), ms(max));
    }
    let page = get(addr, table)?;
    let script = get(addr, "/static/app.js")?;
    let css = get(addr, "/static/app.css")?;
    println!(
        "\nbytes: table page {} + script {} + stylesheet {} = {} (target ≤ 150 KB)",
        page.len(),
        script.len(),
        css.len(),
        page.len() + script.len() + css.len()
    );
    let _ = stop.send(());
    server.join().map_err(|_| "the server thread panicked")??;
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn measure<T>(runs: usize, mut f: impl FnMut() -> Res<T>) -> Res<(Duration, Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1], last.ok_or("no run")?))
}

/// One GET over a fresh connection; the whole body.
fn get(addr: SocketAddr, path: &str) -> Res<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    if !raw.starts_with(b"HTTP/1.1 200") {
        return Err(format!("GET {path}: {}", String::from_utf8_lossy(&raw[..raw.len().min(200)])).into());
    }
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no body")? + 4;
    Ok(raw[at..].to_vec())
}

fn import_companies(ws: &mut Workspace, companies: &[(Company, sample::Fields)]) -> Res<()> {
    let object = ws.object_named("companies")?.id;
    let mut rows = Vec::with_capacity(companies.len());
    for (_, fields) in companies {
        rows.push(ImportRow {
            id: None,
            values: ws.parse_values(object, fields)?,
        });
    }
    ws.import_records(object, rows, &ImportOptions::default(), &mut |_| {})?;
    Ok(())
}

//! `koho municipality|department|person …`: setting up a real (non-demo) municipality —
//! the municipality with the guideline it adopts, its departments (課) and its people
//! with their roles. Every step goes through the register workflow and is audited
//! (actor: the command line).

use clap::Subcommand;
use koho_store::{Actor, NewPerson, Role};
use koho_workflow::Workflow;
use koho_workflow::roles::guideline_role;
use serde::Serialize;

use crate::account_cmd::{Format, json_out, table};
use crate::config::Config;
use crate::db_cmd::{block_on, open_store, open_workflow, store_err, wf_err};
use crate::error::{CliError, CliResult};
use crate::out;

#[derive(Subcommand)]
pub enum MunicipalityCmd {
    /// 自治体を作る（採用するガイドラインを指定。監査ログの起点も作る）
    Create {
        /// URL などに使う英小文字の識別子（例: mine）
        #[arg(long)]
        slug: String,
        /// 自治体名（例: 美祢市）。省略するとガイドラインに書かれた名前
        #[arg(long)]
        name: Option<String>,
        /// 採用するガイドライン: 組み込みの ID（takanabe, komae, mine, urausu, kamisu）または TOML ファイル
        #[arg(long)]
        guideline: String,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// データベースにある自治体の一覧
    List {
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum DepartmentCmd {
    /// 所属（課など）を加える（KOHO_MUNICIPALITY の自治体に）
    Add {
        /// 所属名（例: 秘書広報課）
        name: String,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 所属の一覧
    List {
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum PersonCmd {
    /// 職員を加える（KOHO_MUNICIPALITY の自治体に）
    Add {
        /// メールアドレス（ログインと --as に使う。自治体内で一意）
        #[arg(long)]
        email: String,
        /// 氏名
        #[arg(long)]
        name: String,
        /// 役割: ガイドラインの役割 ID（例: section-chief, pr-office-chief）。複数指定可（カンマ区切りも可）
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// 所属名または所属 ID
        #[arg(long)]
        department: Option<String>,
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// 職員の一覧（役割と所属つき）
    List {
        /// 出力形式: text または json
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

pub fn run_municipality(cmd: MunicipalityCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    // Parse the guideline before touching the database: a bad file changes nothing.
    let guideline = match &cmd {
        MunicipalityCmd::Create { guideline, .. } => Some(crate::load::guideline(guideline)?),
        MunicipalityCmd::List { .. } => None,
    };
    block_on(async move {
        let store = open_store(&cfg).await?;
        let result = async {
            match (cmd, guideline) {
                (
                    MunicipalityCmd::Create {
                        slug,
                        name,
                        guideline: spec,
                        format,
                    },
                    Some(g),
                ) => {
                    // A guideline file is kept in the data directory under its id, so every
                    // later command (and `koho serve`) finds it by the id the record names.
                    if !crate::load::is_builtin(&spec) {
                        crate::load::install_guideline(&cfg, &spec, &g)?;
                    }
                    let wf = Workflow::create_named(&store, slug.trim(), name.as_deref(), g)
                        .await
                        .map_err(|e| wf_err(&e))?;
                    let m = wf.municipality();
                    match format {
                        Format::Json => json_out(m)?,
                        Format::Text => out(&format!(
                            "自治体「{}」（{}、ガイドライン {}）を作りました。\n次は KOHO_MUNICIPALITY={} として `koho department add 所属名` と `koho person add` で所属と職員を登録します。\n",
                            m.name, m.slug, m.guideline_id, m.slug
                        ))?,
                    }
                    Ok(0)
                }
                (MunicipalityCmd::List { format }, _) => {
                    let list = store.municipalities().await.map_err(|e| store_err(&e))?;
                    match format {
                        Format::Json => json_out(&list)?,
                        Format::Text => {
                            let rows: Vec<Vec<String>> = list
                                .iter()
                                .map(|m| {
                                    vec![m.slug.clone(), m.name.clone(), m.guideline_id.clone()]
                                })
                                .collect();
                            out(&table(&["ID", "自治体名", "ガイドライン"], &rows))?;
                        }
                    }
                    Ok(0)
                }
                (MunicipalityCmd::Create { .. }, None) => Ok(2),
            }
        }
        .await;
        store.close().await;
        result
    })?
}

pub fn run_department(cmd: DepartmentCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let result = async {
            let wf = open_workflow(&cfg, &store).await?;
            match cmd {
                DepartmentCmd::Add { name, format } => {
                    let name = name.trim();
                    if name.is_empty() {
                        return Err(CliError::input(
                            "CLI_BAD_ARGUMENT",
                            "所属名が空です",
                            "the department name is empty",
                        ));
                    }
                    let d = wf
                        .add_department(name, &Actor::Cli)
                        .await
                        .map_err(|e| wf_err(&e))?;
                    match format {
                        Format::Json => json_out(&d)?,
                        Format::Text => out(&format!(
                            "所属「{}」を{}に加えました（ID {}）。\n",
                            d.name,
                            wf.municipality().name,
                            d.id
                        ))?,
                    }
                }
                DepartmentCmd::List { format } => {
                    let list = wf.departments().await.map_err(|e| wf_err(&e))?;
                    match format {
                        Format::Json => json_out(&list)?,
                        Format::Text => {
                            let rows: Vec<Vec<String>> = list
                                .iter()
                                .map(|d| vec![d.name.clone(), d.id.to_string()])
                                .collect();
                            out(&table(&["所属", "ID"], &rows))?;
                        }
                    }
                }
            }
            Ok(0)
        }
        .await;
        store.close().await;
        result
    })?
}

/// The store roles for the given role names: a guideline role id (`pr-office-chief`, as
/// the municipality's own guideline names it) or a store role id.
fn parse_roles(wf: &Workflow, given: &[String]) -> CliResult<Vec<Role>> {
    let g = wf.guideline();
    let mut roles = Vec::new();
    for r in given.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let role = match guideline_role(g, r) {
            Ok((role, _)) => role,
            Err(_) => r.parse::<Role>().map_err(|_| {
                let known: Vec<&str> = g.roles.iter().map(|x| x.id.as_str()).collect();
                CliError::input(
                    "CLI_UNKNOWN_ROLE",
                    format!(
                        "役割「{r}」はガイドライン「{}」にありません（{}）",
                        g.id,
                        known.join(", ")
                    ),
                    format!("unknown role `{r}` (known: {})", known.join(", ")),
                )
            })?,
        };
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(CliError::input(
            "CLI_BAD_ARGUMENT",
            "--role を1つ以上指定してください",
            "give at least one --role",
        ));
    }
    Ok(roles)
}

#[derive(Serialize)]
struct PersonRow {
    id: String,
    email: String,
    name: String,
    department: Option<String>,
    roles: Vec<Role>,
    active: bool,
}

pub fn run_person(cmd: PersonCmd) -> CliResult<u8> {
    let cfg = Config::load()?;
    block_on(async move {
        let store = open_store(&cfg).await?;
        let result = async {
            let wf = open_workflow(&cfg, &store).await?;
            match cmd {
                PersonCmd::Add {
                    email,
                    name,
                    roles,
                    department,
                    format,
                } => {
                    let roles = parse_roles(&wf, &roles)?;
                    let department_id = match department.as_deref() {
                        Some(d) => Some(wf.department(d).await.map_err(|e| wf_err(&e))?.id),
                        None => None,
                    };
                    let p = wf
                        .add_person(
                            &NewPerson {
                                display_name: name.trim().to_owned(),
                                email: email.trim().to_owned(),
                                department_id,
                                roles,
                            },
                            &Actor::Cli,
                        )
                        .await
                        .map_err(|e| wf_err(&e))?;
                    match format {
                        Format::Json => json_out(&p)?,
                        Format::Text => out(&format!(
                            "職員「{}」（{}）を{}に加えました。\n",
                            p.display_name,
                            p.email,
                            wf.municipality().name
                        ))?,
                    }
                }
                PersonCmd::List { format } => {
                    let departments = wf.departments().await.map_err(|e| wf_err(&e))?;
                    let people = wf.people().await.map_err(|e| wf_err(&e))?;
                    let rows: Vec<PersonRow> = people
                        .into_iter()
                        .map(|p| PersonRow {
                            id: p.id.to_string(),
                            department: p.department_id.as_ref().and_then(|d| {
                                departments
                                    .iter()
                                    .find(|x| &x.id == d)
                                    .map(|x| x.name.clone())
                            }),
                            email: p.email,
                            name: p.display_name,
                            roles: p.roles,
                            active: p.active,
                        })
                        .collect();
                    match format {
                        Format::Json => json_out(&rows)?,
                        Format::Text => {
                            let cells: Vec<Vec<String>> = rows
                                .iter()
                                .map(|r| {
                                    vec![
                                        r.name.clone(),
                                        r.email.clone(),
                                        r.department.clone().unwrap_or_default(),
                                        r.roles
                                            .iter()
                                            .map(|x| x.as_str())
                                            .collect::<Vec<_>>()
                                            .join(","),
                                    ]
                                })
                                .collect();
                            out(&table(&["氏名", "メール", "所属", "役割"], &cells))?;
                        }
                    }
                }
            }
            Ok(0)
        }
        .await;
        store.close().await;
        result
    })?
}

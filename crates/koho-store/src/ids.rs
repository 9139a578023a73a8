//! Typed row ids and the tenant handle.
//!
//! Ids are UUIDv7 strings generated in Rust (time-ordered, so indexes stay compact), which
//! keeps the schema free of engine-specific AUTOINCREMENT / IDENTITY columns.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// The id as text, as stored in the database.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// Id of a municipality (tenant).
    MunicipalityId
);
id_type!(
    /// Id of a department (課).
    DepartmentId
);
id_type!(
    /// Id of a person (staff member, contractor, …).
    PersonId
);
id_type!(
    /// Id of an official account.
    AccountId
);
id_type!(
    /// Id of an account application (opening or purpose change).
    ApplicationId
);
id_type!(
    /// Id of one operation policy version.
    PolicyVersionId
);
id_type!(
    /// Id of an account event (suspension, closure, …).
    EventId
);
id_type!(
    /// Id of a publish job in the outbox.
    PublishJobId
);
id_type!(
    /// Id of a publisher alert.
    AlertId
);

id_type!(
    /// Id of a post.
    PostId
);
id_type!(
    /// Id of one saved version of a post.
    PostVersionId
);
id_type!(
    /// Id of one post on one official account.
    PostTargetId
);
id_type!(
    /// Id of a decision on a post (approval, exception, override …).
    PostDecisionId
);
id_type!(
    /// Id of a post-hoc report of an emergency post.
    ReportId
);
id_type!(
    /// Id of a department's request to the PR office.
    RequestId
);
id_type!(
    /// Id of a notification to a person.
    NotificationId
);

/// Proof that a municipality exists in the store; every repository is bound to one.
///
/// Only [`Store::tenant`](crate::Store::tenant) and friends create it, so a repository can
/// never be pointed at an arbitrary municipality id without that check, and every statement
/// a repository runs filters by this id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tenant {
    id: MunicipalityId,
}

impl Tenant {
    pub(crate) fn new(id: MunicipalityId) -> Self {
        Tenant { id }
    }

    /// The municipality this handle is bound to.
    pub fn id(&self) -> &MunicipalityId {
        &self.id
    }

    pub(crate) fn as_str(&self) -> &str {
        self.id.as_str()
    }
}

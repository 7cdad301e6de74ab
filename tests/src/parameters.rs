//! SSM parameters on the shared moto_server, as the deployed stack keeps its settings and the
//! published public keys.

use aws_sdk_ssm::types::ParameterType;

use crate::block_on;
use crate::moto::moto;

/// Puts the parameter `name` holding `value`, of type `kind`.
pub fn put(name: &str, value: &str, kind: ParameterType) {
    block_on(async {
        let sdk = auth_aws::emulator_sdk_config(&moto().endpoint).await;
        aws_sdk_ssm::Client::new(&sdk)
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(kind)
            .send()
            .await
            .unwrap();
    });
}
